#!/usr/bin/env bash
# JupyterHub beside a running vocloud (./deploy/quickstart.sh): log in with the vocloud
# account, work in the vocloud storage. deploy/jupyterhub/README.md explains the steps.
#
# First run: registers the hub with the platform (manage.py jupyterhub_client) and makes the
# key that encrypts the users' tokens, both in $JUPYTERHUB_STATE_DIR (mode 0600). Later runs
# reuse them. Stop it with Ctrl-C (the users' servers stop with it).
set -euo pipefail
cd "$(dirname "$0")/../.."

export VOCLOUD_URL="${VOCLOUD_URL:-http://127.0.0.1:8000}"
export VOCLOUD_DATA_DIR="${VOCLOUD_DATA_DIR:-$PWD/var}"
export JUPYTERHUB_BIND_URL="${JUPYTERHUB_BIND_URL:-http://127.0.0.1:8001}"
export JUPYTERHUB_URL="${JUPYTERHUB_URL:-$JUPYTERHUB_BIND_URL}"
export JUPYTERHUB_STATE_DIR="${JUPYTERHUB_STATE_DIR:-$VOCLOUD_DATA_DIR/jupyterhub}"
if [ -z "${VOCLOUD_SECRET_KEY:-}" ] && [ -z "${VOCLOUD_SECRET_KEY_FILE:-}" ]; then
  export VOCLOUD_SECRET_KEY_FILE="$VOCLOUD_DATA_DIR/secret_key"  # quickstart's key
fi
mkdir -p -m 700 "$JUPYTERHUB_STATE_DIR"

export JUPYTERHUB_CLIENT_FILE="${JUPYTERHUB_CLIENT_FILE:-$JUPYTERHUB_STATE_DIR/client.env}"
if [ ! -s "$JUPYTERHUB_CLIENT_FILE" ]; then
  .venv/bin/python manage.py jupyterhub_client \
    --redirect-uri "$JUPYTERHUB_URL/hub/oauth_callback" --output "$JUPYTERHUB_CLIENT_FILE"
fi
crypt_key="$JUPYTERHUB_STATE_DIR/crypt_key"
if [ -z "${JUPYTERHUB_CRYPT_KEY:-}" ]; then
  if [ ! -s "$crypt_key" ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_hex(32))' >"$crypt_key")
  fi
  export JUPYTERHUB_CRYPT_KEY="$(cat "$crypt_key")"
fi
exec .venv/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py "$@"
