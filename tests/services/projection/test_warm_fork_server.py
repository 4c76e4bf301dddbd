"""An ML worker's job fork server compiles UMAP once; every job forked from it is warm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.platform import shared_dir

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import json, sys
from pathlib import Path
from services.jobs import runner
runner.start_server(sys.argv[1:])
for name in ("a", "b"):
    process = runner.start("tests.support.probe_projection", {"n": 300}, name, Path(name))
    messages = []
    while process.alive() or not messages:
        messages += [m.kind + ":" + m.text for m in process.poll(1) if m.kind != "progress"]
    print(json.dumps(messages))
"""


def _probe(tmp_path: Path, preload: list[str]) -> list[dict]:
    tmp_path.mkdir(parents=True)
    # numba's disk cache of the run (compiled once for every platform and test): what is
    # probed is the compiled code in the job process's memory, which no disk cache gives.
    cache = str(shared_dir() / "numba")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VOCLOUD_NUMBA_CACHE_DIR": cache}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *preload],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "fork() called from a process already using GNU OpenMP" not in done.stderr
    return [json.loads((tmp_path / n / "results" / "probe.json").read_text()) for n in "ab"]


@pytest.mark.timeout(600)
def test_jobs_forked_from_a_warmed_server_find_umap_compiled(tmp_path):
    warm = _probe(tmp_path / "warm", ["services.projection.warm"])
    assert all(p["umap_preloaded"] and p["compiled_before"] for p in warm), warm
    cold = _probe(tmp_path / "cold", [])
    assert not any(p["umap_preloaded"] or p["compiled_before"] for p in cold), cold
    assert all(p["compiled_after"] for p in cold)  # the probe can tell the difference
