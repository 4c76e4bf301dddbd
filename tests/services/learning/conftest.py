"""A small synthetic dataset (three line-profile classes) in a user's space, and labels."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

from services.datasets.grid import Grid
from services.datasets.writer import DatasetWriter
from services.jobs import JobContext
from services.storage import UserSpace

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
N_PIX, PER_CLASS = 64, 30
CLASSES = ("absorption", "emission", "flat")


def make_spectra(seed: int, n_pix: int = N_PIX) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    x = np.arange(n_pix)
    flux, labels = [], []
    for name in CLASSES:
        for _ in range(PER_CLASS):
            depth = {"absorption": -0.6, "emission": 0.8, "flat": 0.0}[name]
            centre = rng.uniform(0.35, 0.65) * n_pix
            line = depth * np.exp(-0.5 * ((x - centre) / 3.0) ** 2)
            flux.append(1.0 + line + 0.05 * rng.standard_normal(n_pix))
            labels.append(name)
    return np.array(flux, dtype=np.float32), labels


def write_dataset(space: UserSpace, name: str, n_pix: int = N_PIX, seed: int = 0) -> list[str]:
    flux, labels = make_spectra(seed, n_pix)
    grid = Grid.linear(6400.0, 6700.0, n_pix)
    paths = [f"demo/s{i:03d}.fits" for i in range(len(labels))]
    writer = DatasetWriter(space.datasets, name, grid, capacity=len(labels))
    for row, path in zip(flux, paths, strict=True):
        writer.append(
            row,
            np.ones(n_pix, np.float32),
            np.zeros(n_pix, bool),
            {"path": path, "object": path.split("/")[-1]},
        )
    writer.commit({"sources": ["demo"]})
    return [*zip(paths, labels, strict=True)]


@pytest.fixture(scope="session")
def space(tmp_path_factory) -> UserSpace:
    space = UserSpace(tmp_path_factory.mktemp("user")).ensure()
    rows = write_dataset(space, "toy")
    write_dataset(space, "other-grid", n_pix=48)
    with (space.files / "labels.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["path", "class"])
        out.writerows(rows)
    return space


def context(space: UserSpace, tmp_path, name: str) -> JobContext:
    return JobContext(job_id=name, job_dir=tmp_path / name, user_root=space.root)


TRAIN = {
    "dataset": "toy",
    "labels_file": "labels.csv",
    "epochs": 25,
    "batch_size": 16,
    "filters": "8,16",
    "kernel_sizes": "5,3",
    "dense": 32,
    "patience": 25,
    "seed": 1,
}


@pytest.fixture(scope="session")
def trained(space, tmp_path_factory):
    """A model trained once on the toy dataset: (results directory, results)."""
    from services import train

    ctx = context(space, tmp_path_factory.mktemp("train"), "train1")
    # 90 labels hold out 18: auto would train on a fixed schedule with nothing validated.
    results = train.run(train.Parameters(**{**TRAIN, "regime": "early_stopping"}), ctx)
    return ctx.results_dir, results
