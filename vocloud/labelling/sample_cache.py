"""A round's projected sample, read once per web process (a completed job never changes)."""

from functools import lru_cache

import numpy as np
from django.conf import settings
from django.http import Http404

from services.datasets import DatasetError, dataset_dir, open_dataset
from services.jobs import JobFailure
from services.learning.sample import read_sample
from services.storage import user_space
from vocloud.labelling.models import Round
from vocloud.uws import storage
from vocloud.uws.models import Phase


@lru_cache(maxsize=8)
def _read(results_dir: str, datasets_root: str, dataset: str) -> dict[str, np.ndarray]:
    sample = read_sample(results_dir)
    try:
        meta = open_dataset(dataset_dir(datasets_root, dataset)).meta
    except (DatasetError, OSError):
        meta = None
    for name in ("ra", "dec"):
        if meta is not None and name in meta.colnames:
            sample[name] = np.asarray(meta[name], dtype=np.float64)[sample["row"]]
        else:
            sample[name] = np.full(sample["row"].size, np.nan)
    return sample


def round_sample(round_: Round) -> dict[str, np.ndarray]:
    """The sample of a round whose al-round job completed; 404 otherwise."""
    job = round_.round_job
    if job is None or job.phase != Phase.COMPLETED:
        raise Http404("this round has no projected sample yet")
    space = user_space(settings.DATA_DIR, round_.session.owner_id)
    try:
        return _read(
            str(storage.results_dir(job.job_id)), str(space.datasets), round_.session.dataset
        )
    except JobFailure as exc:
        raise Http404(str(exc)) from None
