#!/bin/sh
# Entrypoint of the vocloud image (deploy/container/Containerfile).
#
# The command chooses the role. Shorthands: web, worker-cpu, worker-gpu, janitor (the same
# programs and options as deploy/systemd/*.service); a full command works as well, e.g.
#   gunicorn vocloud.wsgi:application ...  -> web role
#   python manage.py worker ...            -> worker role
#   python manage.py janitor               -> janitor role
# Anything else (python manage.py check, bash, ...) runs as given, without waiting.
#
# Every role first waits for the database. The web role then applies the migrations and
# copies the static files collected at build time into $VOCLOUD_DATA_DIR/static; workers and
# the janitor wait until the migrations are applied (by the web role) before they start.
set -eu

case "${1:-web}" in
  web)
    set -- gunicorn vocloud.wsgi:application --bind 0.0.0.0:8000 \
      --workers 4 --threads 16 --worker-class gthread --timeout 120 --preload ;;
  worker-cpu)
    set -- python manage.py worker --queues cpu --threads 8 ;;
  worker-gpu)
    set -- python manage.py worker --queues gpu --threads 1 ;;
  janitor)
    set -- python manage.py janitor ;;
esac

role=other
if [ "$1" = gunicorn ]; then
  role=web
elif [ "$1" = python ] && [ "${2:-}" = manage.py ]; then
  case "${3:-}" in
    worker|janitor) role=$3 ;;
  esac
fi

# wait_for_database [migrated]: until the database answers (and, with "migrated", until no
# migration is left to apply); gives up after 300 s (the restart policy tries again).
wait_for_database() {
  python - "$@" <<'EOF'
import sys
import time

import django

django.setup()
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

want_migrated = "migrated" in sys.argv[1:]
deadline = time.monotonic() + 300
said = ""
while True:
    try:
        connection.ensure_connection()
        if not want_migrated:
            break
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not pending:
            break
        reason = f"{len(pending)} migrations not applied yet (the web container applies them)"
    except Exception as exc:  # the database is not up yet, or is restarting
        reason = f"database not reachable: {exc}".strip()
    connection.close()
    if time.monotonic() > deadline:
        sys.exit(f"vocloud-entrypoint: gave up waiting: {reason}")
    if reason != said:
        print(f"vocloud-entrypoint: waiting: {reason}", file=sys.stderr, flush=True)
        said = reason
    time.sleep(2)
EOF
}

case "$role" in
  web)
    wait_for_database
    python manage.py migrate --noinput
    # STATIC_ROOT lives in the data volume; refresh it from the image at every start.
    mkdir -p "$VOCLOUD_DATA_DIR/static"
    cp -R --preserve=timestamps /opt/vocloud/staticfiles/. "$VOCLOUD_DATA_DIR/static/"
    ;;
  worker|janitor)
    wait_for_database migrated
    ;;
esac

exec "$@"
