"""The ``propose`` job on the toy dataset: results like an al-round's, proposals first."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from services import propose
from services.jobs import JobContext, JobFailure
from services.learning.sample import read_sample
from services.storage import UserSpace
from tests.services.learning.conftest import CLASSES, PER_CLASS, write_dataset


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> UserSpace:
    space = UserSpace(tmp_path_factory.mktemp("propose")).ensure()
    rows = write_dataset(space, "toy")
    (space.files / "some.labels.csv").write_text(
        "path,class\n" + "".join(f"{p},{c}\n" for p, c in rows[:4])  # 4 absorption spectra
    )
    return space


def run(space: UserSpace, tmp_path, name="p", **params):
    ctx = JobContext(job_id=name, job_dir=tmp_path / name, user_root=space.root)
    args = {"dataset": "toy", "k": 6, "method": "pca", "map_size": 40} | params
    results = propose.run(propose.Parameters(**args), ctx)
    return ctx.results_dir, results


def test_without_encoder_proposes_every_class_and_maps_like_an_al_round(toy, tmp_path):
    out, results = run(toy, tmp_path, k=5, map_size=20)
    assert [r.id for r in results] == ["result", "scores", "coords", "plot", "info", "summary"]
    sample = read_sample(out)  # what the labelling page reads
    assert sample["row"].size == 25 and len(set(sample["row"])) == 25
    # three line-profile classes (lines at varying places): five proposals cover all three
    assert set(sample["row"][:5] // PER_CLASS) == {0, 1, 2}
    assert np.isfinite(sample["x"]).all() and (sample["score"] > 0).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["features"] == "pca" and summary["cold_start"] is True
    assert summary["sentence"].endswith("in PCA of the flux")
    assert summary["n_proposed"] == 5 and summary["n_mapped"] == 25


def test_labelled_spectra_are_not_proposed(toy, tmp_path):
    out, _ = run(toy, tmp_path, k=2, map_size=0, exclude_labelled="some.labels.csv")
    sample = read_sample(out)
    assert sample["row"].size == 2  # the proposals alone
    assert not set(sample["row"]) & {0, 1, 2, 3}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_labelled"] == 4 and summary["n_clusters"] == 6  # labelled + K


def test_seeded_and_reproducible(toy, tmp_path):
    a, _ = run(toy, tmp_path, name="a", seed=3)
    b, _ = run(toy, tmp_path, name="b", seed=3)
    np.testing.assert_array_equal(read_sample(a)["row"], read_sample(b)["row"])


def pretrain_results(folder: Path, embedding: np.ndarray, **info) -> Path:
    """A pretrain job's results as services.pretrain writes them: embedding and sidecar."""
    folder.mkdir()
    np.savez(folder / "embedding.npz", embedding=embedding, rows=np.arange(len(embedding)))
    sidecar = {"format": "vocloud-encoder/1", "dataset": "toy", "dataset_version": 1, **info}
    (folder / "encoder.json").write_text(json.dumps(sidecar))
    return folder


def test_an_embedding_that_does_not_fit_the_dataset_is_refused(toy, tmp_path):
    short = pretrain_results(tmp_path / "short", np.zeros((5, 4), np.float32))
    with pytest.raises(JobFailure, match="did not embed every selected spectrum"):
        run(toy, tmp_path, encoder=short)
    n = len(CLASSES) * PER_CLASS
    old = pretrain_results(tmp_path / "old", np.zeros((n, 4), np.float32), dataset_version=0)
    with pytest.raises(JobFailure, match=r"rebuilt after .* \(version 0, now 1\): pretrain"):
        run(toy, tmp_path, name="q", encoder=old)
    nan = pretrain_results(tmp_path / "nan", np.full((n, 4), np.nan, np.float32))
    with pytest.raises(JobFailure, match="NaN or infinite"):
        run(toy, tmp_path, name="r", encoder=nan)


def test_an_encoder_embedding_is_used(toy, tmp_path):
    """A stand-in embedding (the class as one feature): proposals cover each class."""
    n = len(CLASSES) * PER_CLASS
    embedding = np.zeros((n, 3), np.float32)
    embedding[np.arange(n), np.arange(n) // PER_CLASS] = 5.0
    embedding += np.random.default_rng(0).normal(0, 0.1, embedding.shape).astype(np.float32)
    encoder = pretrain_results(tmp_path / "encoder", embedding)
    out, _ = run(toy, tmp_path, encoder=encoder, k=3)
    assert sorted(read_sample(out)["row"][:3] // PER_CLASS) == [0, 1, 2]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["features"] == "embedding"
    assert summary["sentence"].endswith("in the pretrained embedding")


def test_a_real_pretrain_jobs_embedding_is_used(toy, tmp_path):
    """services.pretrain.run on the toy dataset (2 epochs), then propose with its output."""
    from services import pretrain

    ctx = JobContext(job_id="pre", job_dir=tmp_path / "pre", user_root=toy.root)
    pretrain.run(pretrain.Parameters(dataset="toy", epochs=2, embedding_dim=8, batch_size=32), ctx)
    out, _ = run(toy, tmp_path, encoder=ctx.results_dir, k=5, map_size=10)
    sample = read_sample(out)
    assert sample["row"].size == 15 and len(set(sample["row"][:5])) == 5
    summary = json.loads((out / "summary.json").read_text())
    assert summary["features"] == "embedding" and summary["n_clusters"] == 5
    # the same encoder does not fit another dataset
    write_dataset(toy, "other", seed=4)
    with pytest.raises(JobFailure, match="embedded dataset 'toy', not 'other'"):
        run(toy, tmp_path, name="q", dataset="other", encoder=ctx.results_dir)
