"""UMAP without TensorFlow, numba's on-disk cache, and warming a long-lived worker.

``import umap`` imports TensorFlow when it is installed (through
``umap.parametric_umap``): 4-5 s and a few hundred MB for nothing, since projection never
uses ParametricUMAP. :func:`import_umap` imports umap with that submodule blocked.

numba compiles UMAP's kernels on the first call in every process (7-15 s). Two things
help, and a worker should use both:

* :func:`use_numba_cache` points numba's on-disk cache (``NUMBA_CACHE_DIR``) at a
  persistent, writable directory that the *caller* chooses (e.g.
  ``DATA_DIR/cache/numba``); functions compiled with ``cache=True`` (most of
  pynndescent, a few of umap) are then loaded from disk by later processes. It must be
  called before umap or pynndescent is first imported in the process: numba picks a
  function's cache location when the module defining it is imported.
* :func:`warm_up` runs a tiny UMAP (and t-SNE) so that the functions numba cannot cache (umap's
  layout optimiser is built per call) are compiled once per worker process, not per job.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np

logger = logging.getLogger(__name__)

_cache_dir: Path | None = None  # what use_numba_cache last set in this process


def use_numba_cache(cache_dir: str | os.PathLike[str]) -> Path:
    """Make numba cache compiled functions under ``cache_dir`` (created if missing).

    Parameters
    ----------
    cache_dir : str or os.PathLike
        A persistent directory writable by the worker; the same one for every worker
        of a deployment that runs the same Python environment.

    Returns
    -------
    Path
        The absolute cache directory now in effect for modules imported afterwards.

    Notes
    -----
    Sets the ``NUMBA_CACHE_DIR`` environment variable (read by numba at import, and
    inherited by child processes) and, when numba is already imported, its
    configuration. Modules that were imported earlier keep the location they got; a
    warning is logged when umap or pynndescent already is.
    """
    global _cache_dir
    path = Path(cache_dir).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(path)
    if "numba" in sys.modules:
        from numba.core import config

        config.CACHE_DIR = str(path)
    if _cache_dir != path and any(sys.modules.get(m) for m in ("umap", "pynndescent")):
        logger.warning("umap is already imported: numba cache directory %s applies late", path)
    _cache_dir = path
    return path


def numba_cache_dir() -> Path | None:
    """The directory last given to :func:`use_numba_cache` in this process, if any."""
    return _cache_dir


def import_umap() -> ModuleType:
    """Import and return the ``umap`` module without importing TensorFlow.

    Returns
    -------
    module
        ``umap`` (its ``ParametricUMAP`` is the stub that raises ImportError, unless
        ``umap.parametric_umap`` was imported before).
    """
    if "umap" in sys.modules:
        return sys.modules["umap"]
    blocked = "umap.parametric_umap" not in sys.modules
    if blocked:
        sys.modules["umap.parametric_umap"] = None  # type: ignore[assignment]
    try:
        with _turn(os.environ.get("NUMBA_CACHE_DIR")), warnings.catch_warnings():
            # umap warns (ImportWarning) that ParametricUMAP is unavailable: intended.
            warnings.simplefilter("ignore", ImportWarning)
            import umap
    finally:
        if blocked:
            del sys.modules["umap.parametric_umap"]
    return umap


@contextlib.contextmanager
def _turn(cache_dir: str | None) -> Iterator[None]:
    """Processes importing umap with one disk cache take turns: the first compiles into
    the cache (~25 s), the others then load from it (~1 s) instead of compiling too."""
    if not cache_dir:
        yield
        return
    path = Path(cache_dir)
    path.mkdir(parents=True, exist_ok=True)
    with (path / ".import.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def warm_up(
    cache_dir: str | os.PathLike[str],
    n_points: int = 200,
    seed: int = 0,
    methods: tuple[str, ...] = ("umap", "tsne"),
    large: bool = False,
) -> float:
    """Compile UMAP's numba code (and optionally pynndescent's) in this process.

    Projects a tiny random matrix with each of ``methods``.

    Call it once when a long-lived worker starts, before its first projection job.

    Parameters
    ----------
    cache_dir : str or os.PathLike
        numba's on-disk cache directory (see :func:`use_numba_cache`).
    n_points : int
        Rows of the random float32 matrix (16 features) that is projected.
    seed : int
        Seed of the matrix and of the projections.
    methods : tuple of str
        Which to run: ``"umap"`` and ``"tsne"`` (openTSNE has no numba code; this only
        loads its extensions).
    large : bool
        Also build a pynndescent index, which UMAP uses above
        :data:`~services.projection.methods.EXACT_KNN_MAX_POINTS` points. Its
        compilation is not served from the disk cache: ~40 s in every new process, so
        only workers that project such inputs should ask for it.

    Notes
    -----
    Measured here (2 shared cores): ``import umap`` takes ~25 s with an empty numba
    cache and ~1 s with a filled one; the first UMAP call then adds ~10 s in every new
    process (its layout code is not cacheable), later calls do not.

    Returns
    -------
    float
        Seconds the warm-up took (import and compilation included).
    """
    start = time.perf_counter()
    path = use_numba_cache(cache_dir)
    # Workers that start together on one machine take turns: the first fills the disk
    # cache, the others then load from it (~1 s) instead of compiling the same code at once.
    with (path / ".warm-up.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        from services.projection.methods import project  # the same code path as real jobs

        features = np.random.default_rng(seed).normal(size=(n_points, 16)).astype(np.float32)
        for method in methods:
            project(features, method, random_state=seed)  # type: ignore[arg-type]
        if large:
            from pynndescent import NNDescent

            NNDescent(features, n_neighbors=5, random_state=seed, n_jobs=1)  # builds the graph
    seconds = time.perf_counter() - start
    logger.info("projection warm-up took %.1f s (numba cache %s)", seconds, _cache_dir)
    return seconds
