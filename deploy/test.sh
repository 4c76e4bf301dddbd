#!/usr/bin/env bash
# The whole test suite: lint, unit and integration tests, and the shared UWS conformance
# suite against the platform started as README starts it (tests/live/test_conformance.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/bootstrap.sh test
# Page tests drive Debian's Chromium (Playwright's own browser download is not used);
# VOTables we hand to TOPCAT are checked with STILTS votlint; PostgreSQL and Redis tests
# start Debian's postgresql and redis-server themselves (tests/support/own_services.py).
apt_install() {  # install Debian packages when root (CI), else leave the tests to skip
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 0
  echo "Installing Debian's $* for the tests…"
  [ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v stilts >/dev/null 2>&1 || apt_install --no-install-recommends stilts
# JupyterHub's users' servers run in bubblewrap sandboxes (deploy/jupyterhub).
command -v bwrap >/dev/null 2>&1 || apt_install --no-install-recommends bubblewrap
# deploy/nginx/vocloud.conf is checked with `nginx -t`.
[ -x /usr/sbin/nginx ] || apt_install --no-install-recommends nginx-light
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Independent tests run in parallel (pytest-xdist): one worker per core, at most 4 (each
# worker starts its own platform for the live tests); VOCLOUD_TEST_WORKERS=0 runs them in
# this process. Tests of the SAMP hub's fixed port take turns (tests/support/samp_hub.py).
workers="${VOCLOUD_TEST_WORKERS:-$(.venv/bin/python -c 'import os; print(min(4, os.cpu_count() or 1))')}"
exec .venv/bin/python -m pytest -n "$workers" "$@"
