"""A dataset with its labelled rows, ready for training."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.datasets.store import DatasetError, open_dataset
from services.jobs import JobContext, JobFailure
from services.learning import labels as snapshot
from services.learning.inputs import gather


def open_user_dataset(ctx: JobContext, name: str):
    """One of the owner's datasets, or a clear JobFailure."""
    try:
        return open_dataset(ctx.user_space.datasets / name)
    except (DatasetError, OSError) as exc:
        raise JobFailure(f"dataset {name!r}: {exc}") from None


@dataclass
class LabelledData:
    """Inputs and targets of the labelled rows.

    Attributes
    ----------
    x : ndarray, shape (n, n_pix), float32
    y : ndarray, shape (n,)
        Class indices (classification) or values (regression).
    paths : ndarray, shape (n,)
        The spectra's paths.
    classes : list of str
        Class names in index order (empty for regression).
    """

    x: np.ndarray
    y: np.ndarray
    paths: np.ndarray
    classes: list[str]

    def split(self, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Seeded (train, validation) row indices; each keeps at least one row."""
        order = np.random.default_rng(seed).permutation(len(self.y))
        n_val = min(len(order) - 1, max(1, round(fraction * len(order))))
        return np.sort(order[n_val:]), np.sort(order[:n_val])


def labelled_inputs(
    dataset, labels_csv: Path, target: str, task: str, min_labels: int
) -> LabelledData:
    """The dataset rows the snapshot labels, refusing what cannot be trained."""
    paths = [str(p) for p in dataset.meta["path"]]
    found = snapshot.match(
        paths, snapshot.read_snapshot(labels_csv, target), numeric=task == "regression"
    )
    if len(found.rows) < min_labels:
        raise JobFailure(
            f"only {len(found.rows)} labelled spectra in this dataset; "
            f"at least {min_labels} are needed to train"
        )
    classes: list[str] = []
    y = found.values
    if task == "classification":
        classes = sorted(set(found.values.tolist()))
        if len(classes) < 2:
            raise JobFailure(
                f"all labelled spectra are of one class ({classes[0]!r}); "
                "at least two classes are needed"
            )
        y = np.searchsorted(np.array(classes), found.values).astype(np.int64)
    return LabelledData(gather(dataset, found.rows), y, np.array(paths)[found.rows], classes)
