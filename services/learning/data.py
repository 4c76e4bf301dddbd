"""A dataset with its labelled rows, ready for training."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.datasets.store import DatasetError, dataset_dir, open_dataset
from services.jobs import JobContext, JobFailure
from services.learning import labels as snapshot
from services.learning.inputs import gather


def open_user_dataset(ctx: JobContext, name: str):
    """One of the owner's datasets, or a clear JobFailure (the name stays in their space)."""
    try:
        return open_dataset(dataset_dir(ctx.user_space.datasets, name))
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
        Class names in index order (classification), question names (votes: ``y`` then
        has shape (n, Q, 2), votes for and voters per question), or empty (regression).
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
    dataset, labels_csv: Path, target: str, task: str, min_labels: int, total: str = "total"
) -> LabelledData:
    """The dataset rows the snapshot labels, refusing what cannot be trained.

    For ``task="votes"``, ``target`` names the vote-count columns (comma-separated, one
    per question) and ``total`` the column with the number of voters.
    """
    paths = [str(p) for p in dataset.meta["path"]]
    if task == "votes":
        return _vote_inputs(dataset, paths, labels_csv, target, total, min_labels)
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


def _vote_inputs(dataset, paths, labels_csv, target, total, min_labels) -> LabelledData:
    questions = [q.strip() for q in target.split(",") if q.strip()]
    if not questions or total in questions:
        raise JobFailure("TARGET must name the vote-count columns, other than the total")
    found = snapshot.match(
        paths, snapshot.read_columns(labels_csv, [*questions, total]), numeric=False
    )
    try:
        values = found.values.astype(np.float64)  # [n, Q + 1]
    except ValueError as exc:
        raise JobFailure(f"vote counts must be numbers: {exc}") from None
    votes, voters = values[:, :-1], values[:, -1:]
    if not (np.all(np.isfinite(values)) and np.all(votes >= 0) and np.all(votes <= voters)):
        raise JobFailure(f"vote counts must lie between 0 and the {total!r} column")
    if len(found.rows) < min_labels:
        raise JobFailure(
            f"only {len(found.rows)} spectra with votes in this dataset; "
            f"at least {min_labels} are needed to train"
        )
    y = np.stack([votes, np.broadcast_to(voters, votes.shape)], axis=-1)  # [n, Q, 2]
    return LabelledData(gather(dataset, found.rows), y, np.array(paths)[found.rows], questions)
