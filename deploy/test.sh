#!/usr/bin/env bash
# The whole test suite: lint, unit and integration tests, and the shared UWS conformance
# suite against the platform started as README starts it (tests/live/test_conformance.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/bootstrap.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
