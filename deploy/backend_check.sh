#!/usr/bin/env bash
# Run the model tests (tests/services/models: MC dropout, BatchNorm in inference mode,
# trunk-once scoring, concrete dropout, training, save/load) on another Keras backend, in a
# separate virtual environment without TensorFlow: the check that GPU workers running Keras
# on JAX or PyTorch compute what the TensorFlow default does.
#
# Usage: deploy/backend_check.sh jax        (pip installs jax[cpu]; jax[cuda12] on a GPU box)
#        deploy/backend_check.sh torch
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:?give a Keras backend: jax or torch}"
case "$backend" in
  jax) packages=("${JAX_PACKAGE:-jax[cpu]}") ;;
  torch) packages=("${TORCH_PACKAGE:-torch}") ;;
  *) echo "unknown backend $backend (jax or torch)" >&2; exit 2 ;;
esac
[ -x .venv/bin/python ] || bash deploy/bootstrap.sh  # finds a Python >= 3.12
python="${PYTHON:-$(.venv/bin/python -c 'import sys; print(sys._base_executable)')}"
env_dir=".venv-$backend"
[ -x "$env_dir/bin/python" ] || "$python" -m venv "$env_dir"
"$env_dir/bin/pip" install -q "${packages[@]}" "keras>=3.8,<4" numpy scipy pytest pytest-timeout
# The model tests need none of the platform: run them from a copy with an empty root conftest.
run_dir="$(mktemp -d)"
trap 'rm -rf "$run_dir"' EXIT
mkdir -p "$run_dir/tests/services/models"
cp tests/services/models/*.py "$run_dir/tests/services/models/"
touch "$run_dir/tests/conftest.py"
printf '[pytest]\naddopts = -p no:cacheprovider --import-mode=importlib\n' > "$run_dir/pytest.ini"
cd "$run_dir"
PYTHONPATH="$run_dir:$OLDPWD" KERAS_BACKEND="$backend" "$OLDPWD/$env_dir/bin/python" -m pytest -q \
  -W ignore::DeprecationWarning tests/services/models "${@:2}"
