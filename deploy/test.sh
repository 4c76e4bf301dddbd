#!/usr/bin/env bash
# The whole test suite: lint, unit and integration tests, and the shared UWS conformance
# suite against the platform started as README starts it (tests/live/test_conformance.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/bootstrap.sh test
# Page tests drive Debian's Chromium (Playwright's own browser download is not used);
# VOTables we hand to TOPCAT are checked with STILTS votlint.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v stilts >/dev/null 2>&1 || missing+=(stilts)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's ${missing[*]} for the browser and VOTable tests…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
