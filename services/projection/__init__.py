"""2-D projections of the most uncertain spectra, for labelling in the browser.

The data flow is ``score -> top-K -> project``: :func:`top_k` picks the K (default 2048)
rows with the highest uncertainty, :func:`project` maps a feature matrix (the network's
embedding ``[K, D]`` or the flux ``[K, n_pix]``) to 2-D with PCA, t-SNE or UMAP, and
:func:`project_top_k` does both.

Public API
----------
project, Projection, ProjectionError, METHODS
    ``project(features, method, random_state=..., standardize=..., reduce_dims=50)``
    returns ``Projection(coords [K, 2] float32, info dict)``.
top_k, project_top_k, DEFAULT_K
    The top-K selection (most uncertain first, ties by index).
use_numba_cache, warm_up, import_umap
    For long-lived workers: put numba's compiled code in a persistent directory that
    the caller chooses (this package never reads the environment to find it), and
    compile UMAP once per process at start-up instead of in the first job::

        from services.projection import warm_up
        warm_up(data_dir / "cache" / "numba")  # once, when the worker starts

Nothing here imports umap, numba or openTSNE at import time; umap is imported without
TensorFlow (see :mod:`services.projection.numba_setup`).
"""

from services.projection.methods import (
    DEFAULT_K,
    METHODS,
    SKLEARN_TSNE_MAX_POINTS,
    Projection,
    ProjectionError,
    project,
    project_top_k,
    top_k,
)
from services.projection.numba_setup import import_umap, use_numba_cache, warm_up

__all__ = [
    "DEFAULT_K",
    "METHODS",
    "SKLEARN_TSNE_MAX_POINTS",
    "Projection",
    "ProjectionError",
    "import_umap",
    "project",
    "project_top_k",
    "top_k",
    "use_numba_cache",
    "warm_up",
]
