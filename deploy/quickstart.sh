#!/usr/bin/env bash
# One command from a fresh clone to a running platform at http://127.0.0.1:8000:
# virtualenv, dependencies, secret key, database, demo account and data, then web + worker +
# broker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/bootstrap.sh
# The key that signs sessions and links: made once, kept in the data directory (mode 0600),
# never in the source. A key given in the environment wins.
if [ -z "${VOCLOUD_SECRET_KEY:-}" ] && [ -z "${VOCLOUD_SECRET_KEY_FILE:-}" ]; then
  data_dir="${VOCLOUD_DATA_DIR:-$PWD/var}"
  mkdir -p "$data_dir"
  key_file="$data_dir/secret_key"
  if [ ! -s "$key_file" ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' \
      > "$key_file")
    echo "Created a secret key in $key_file"
  fi
  chmod 600 "$key_file"
  export VOCLOUD_SECRET_KEY_FILE="$key_file"
fi
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py demo
exec .venv/bin/python manage.py serve "$@"
