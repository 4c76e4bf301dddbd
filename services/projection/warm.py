"""Imported by the fork server of a worker that runs projections: compile UMAP once.

Job processes are forked from the fork server (:mod:`services.jobs.runner`), so code that
numba compiled there is compiled in every job: the first UMAP of a job then takes the warm
time instead of a cold start (see docs/benchmarks.md). The numba cache directory comes
from ``VOCLOUD_NUMBA_CACHE_DIR``; without it this module does nothing.
"""

from __future__ import annotations

import os

SECONDS: float | None = None
if os.environ.get("VOCLOUD_NUMBA_CACHE_DIR"):
    # GNU OpenMP (numba's default "omp" layer) aborts any process forked after its threads
    # started; numba's own work queue survives forks. Set before numba is imported.
    os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
    from services.projection.numba_setup import warm_up

    SECONDS = warm_up(os.environ["VOCLOUD_NUMBA_CACHE_DIR"], methods=("umap",))
