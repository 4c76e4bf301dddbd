"""A job module for tests: time one UMAP in the job process and say whether its numba
code was compiled before the job started (i.e. in the fork server)."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from pydantic import BaseModel

from services.jobs import JobContext, Result


class Parameters(BaseModel):
    n: int = 2048


def _compiled() -> bool:
    layouts = sys.modules.get("umap.layouts")
    # numba dispatchers list the signatures compiled so far in this process
    return bool(layouts) and any(getattr(f, "signatures", None) for f in vars(layouts).values())


def run(params: Parameters, ctx: JobContext) -> list[Result]:
    warm_before = "umap" in sys.modules
    compiled_before = _compiled()
    from services.projection import project

    start = time.perf_counter()
    features = np.random.default_rng(0).normal(size=(params.n, 16)).astype(np.float32)
    project(features, "umap", random_state=0)
    found = {
        "umap_preloaded": warm_before,
        "compiled_before": compiled_before,
        "compiled_after": _compiled(),
        "seconds": time.perf_counter() - start,
    }
    (ctx.results_dir / "probe.json").write_text(json.dumps(found))
    return [Result("result", "probe.json", "application/json")]
