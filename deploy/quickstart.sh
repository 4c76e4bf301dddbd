#!/usr/bin/env bash
# One command from a fresh clone to a running platform at http://127.0.0.1:8000:
# virtualenv, dependencies, database, demo account and data, then web + worker + broker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/bootstrap.sh
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py demo
exec .venv/bin/python manage.py serve "$@"
