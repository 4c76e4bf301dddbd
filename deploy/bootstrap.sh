#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install vocloud with the extras given as arguments.
# Re-running is cheap: nothing is installed again unless pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidates=("${PYTHON:-}" python3.13 python3.12 "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python python3)
  for candidate in "${candidates[@]}"; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "vocloud needs Python >= 3.12; set PYTHON=/path/to/python3.12" >&2
  return 1
}

extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python=$(find_python)
  echo "Creating .venv with $python"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras//,/_}"
if [ ! -f "$stamp" ]; then
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  echo "Installing vocloud and its dependencies ($spec)…"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
