"""Helpers of the labelling tests. The session with a complete first round (fixtures
``labelling`` and ``round_outputs``) lives in :mod:`tests.support.labelling_round`, shared
by every test module through ``tests/conftest.py``."""

from __future__ import annotations

import numpy as np
from django.conf import settings as django_settings

from services.datasets import DatasetWriter, Grid
from services.storage import user_space
from tests.support.labelling_round import completed_job  # noqa: F401 (used by other modules)


def write_paths_dataset(owner, name: str, paths: list[str]) -> None:
    """A dataset of ``paths`` (tiny flat spectra) in ``owner``'s space: labels need one."""
    space = user_space(django_settings.DATA_DIR, owner.pk).ensure()
    writer = DatasetWriter(space.datasets, name, Grid.linear(6400.0, 6700.0, 8), len(paths))
    for path in paths:
        writer.append(
            np.ones(8, np.float32), np.ones(8, np.float32), np.zeros(8, bool), {"path": path}
        )
    writer.commit({"sources": ["test"]})
