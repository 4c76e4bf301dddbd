"""pretrain -> train (frozen or fine-tuned) -> score, and project of a pretrain embedding,
on the tiny synthetic dataset (90 spectra x 64 px), and the one-sentence refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from astropy.io.votable import parse_single_table
from pydantic import ValidationError

from services import pretrain, project, score, train
from services.datasets.grid import Grid
from services.datasets.writer import DatasetWriter
from services.jobs import JobFailure
from tests.services.learning.conftest import TRAIN, context

PRETRAIN = {"dataset": "toy", "embedding_dim": 8, "epochs": 2, "batch_size": 32, "seed": 3}
# A few epochs of the fixed regime: enough to show the model trains and scores.
HEAD = {**TRAIN, "epochs": 3, "regime": "early_stopping", "patience": 3}


@pytest.fixture(scope="module")
def pretrained(space, tmp_path_factory):
    ctx = context(space, tmp_path_factory.mktemp("pretrain"), "pretrain1")
    seen: list[float] = []
    ctx.report = lambda fraction, message: seen.append(fraction)
    results = pretrain.run(pretrain.Parameters(**PRETRAIN), ctx)
    return ctx.results_dir, results, seen


def test_pretraining_embeds_every_spectrum_row_by_row(pretrained):
    results_dir, results, seen = pretrained
    ids = [r.id for r in results]
    assert {"encoder", "embedding", "learning-curve", "info"} <= set(ids)
    assert all((results_dir / r.path).is_file() for r in results)
    with np.load(results_dir / "embedding.npz") as npz:
        embedding, rows = npz["embedding"], npz["rows"]
    assert embedding.shape == (90, 8) and embedding.dtype == np.float32
    np.testing.assert_array_equal(rows, np.arange(90))
    assert np.all(np.isfinite(embedding)) and embedding.std(axis=0).max() > 0
    info = json.loads((results_dir / "info.json").read_text())
    assert info["method"] == pretrain.DEFAULT_METHOD and info["n"] == 90
    assert info["epochs"] == 2 and np.isfinite(info["final_loss"])
    sidecar = json.loads((results_dir / "encoder.json").read_text())
    assert Grid.from_dict(sidecar["grid"]) == Grid.linear(6400.0, 6700.0, 64)
    assert sidecar["embedding_dim"] == 8 and sidecar["method"] == pretrain.DEFAULT_METHOD
    assert "<html" in (results_dir / "learning_curve.html").read_text().lower()
    assert seen[-1] == 1.0 and any(0 < f < 1 for f in seen)  # progress per epoch


def test_the_embedding_is_the_saved_encoders(pretrained, space):
    from services.datasets.store import dataset_dir, open_dataset
    from services.learning.inputs import gather
    from services.models.encoder import embed, load_encoder

    results_dir = pretrained[0]
    encoder, _ = load_encoder(results_dir / "encoder.keras")
    dataset = open_dataset(dataset_dir(space.datasets, "toy"))
    rows = np.array([0, 45, 89])
    with np.load(results_dir / "embedding.npz") as npz:
        np.testing.assert_allclose(
            embed(encoder, gather(dataset, rows)), npz["embedding"][rows], atol=1e-4
        )


def test_a_subsampled_autoencoder_still_embeds_every_spectrum(space, tmp_path):
    ctx = context(space, tmp_path, "pretrain-ae")
    params = {**PRETRAIN, "method": "autoencoder", "epochs": 1, "max_spectra": 40}
    pretrain.run(pretrain.Parameters(**params), ctx)
    info = json.loads((ctx.results_dir / "info.json").read_text())
    assert info["method"] == "autoencoder" and info["n"] == 40 and info["n_spectra"] == 90
    with np.load(ctx.results_dir / "embedding.npz") as npz:
        assert npz["embedding"].shape == (90, 8)


@pytest.fixture(scope="module")
def on_encoder(space, pretrained, tmp_path_factory):
    """fine_tune -> (train job results, score job results): train from the encoder, score."""
    found = {}
    for fine_tune in (False, True):
        ctx = context(space, tmp_path_factory.mktemp("train-enc"), f"train-enc-{fine_tune}")
        train.run(train.Parameters(**HEAD, encoder=pretrained[0], fine_tune=fine_tune), ctx)
        scored = context(space, tmp_path_factory.mktemp("score-enc"), f"score-{fine_tune}")
        params = score.Parameters(model=ctx.results_dir, dataset="toy", k=30, mc_samples=4)
        score.run(params, scored)
        found[fine_tune] = ctx.results_dir, scored.results_dir
    return found


@pytest.mark.parametrize("fine_tune", [False, True])
def test_train_starts_from_the_encoder_and_score_runs_on_it(pretrained, on_encoder, fine_tune):
    from services import models
    from services.models.encoder import load_encoder

    trained_dir, scored_dir = on_encoder[fine_tune]
    model, sidecar = models.load_model(trained_dir / "model.keras")
    assert sidecar.training["encoder"] == "pretrain1"
    assert sidecar.training["fine_tune"] is fine_tune
    text = (trained_dir / "model.json").read_text()
    assert str(pretrained[0]) not in text  # no server path in what the user sees
    inner = model.get_layer("encoder")
    assert inner.trainable is fine_tune and model.get_layer("embedding") is not None
    encoder, _ = load_encoder(pretrained[0] / "encoder.keras")
    same = all(
        np.array_equal(a, b)
        for a, b in zip(inner.get_weights(), encoder.get_weights(), strict=True)
    )
    assert same is not fine_tune  # frozen: the encoder's weights; fine-tuned: changed
    table = parse_single_table(scored_dir / "scores.vot").to_table()
    assert len(table) == 90 and np.all(np.isfinite(np.asarray(table["score"], float)))


def test_an_active_learning_round_runs_on_a_model_from_the_encoder(space, on_encoder, tmp_path):
    from services import al_round

    ctx = context(space, tmp_path, "round-enc")
    params = al_round.Parameters(
        model=on_encoder[True][0], dataset="toy", k=12, mc_samples=4, method="pca"
    )
    ids = [r.id for r in al_round.run(params, ctx)]
    assert ids[0] == "result"
    table = parse_single_table(ctx.results_dir / "projection.vot").to_table()
    assert len(table) == 12 and np.all(np.isfinite(np.asarray(table["x"], float)))


def test_train_refuses_an_encoder_of_another_grid_or_none(space, pretrained, tmp_path):
    other = {**HEAD, "dataset": "other-grid"}
    with pytest.raises(JobFailure, match=r"^the encoder was pretrained on a grid of .*: pretrain"):
        train.run(train.Parameters(**other, encoder=pretrained[0]), context(space, tmp_path, "g"))
    both = train.Parameters(**HEAD, encoder=pretrained[0], fine_tune=True, ensemble=2)
    with pytest.raises(JobFailure, match=r"^FINE_TUNE cannot be combined with an ENSEMBLE"):
        train.run(both, context(space, tmp_path, "f"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(JobFailure, match=r"^the pretrain job has no readable encoder$"):
        train.run(train.Parameters(**HEAD, encoder=empty), context(space, tmp_path, "e"))


def test_project_uses_the_pretrain_embedding(space, pretrained, on_encoder, tmp_path):
    ctx = context(space, tmp_path, "project-pretrained")
    params = project.Parameters(
        scores=on_encoder[False][1], method="pca", features="pretrained", encoder=pretrained[0]
    )
    project.run(params, ctx)
    table = parse_single_table(ctx.results_dir / "projection.vot").to_table()
    x, y = np.asarray(table["x"], float), np.asarray(table["y"], float)
    assert len(table) == 30 and np.all(np.isfinite(x))
    # PCA of the pretrain embedding of those rows, not of the score job's embedding
    with np.load(pretrained[0] / "embedding.npz") as npz:
        chosen = npz["embedding"][np.asarray(table["row"])]
    spread = np.var(np.c_[x, y], axis=0, ddof=1).sum()
    assert spread == pytest.approx(
        np.sort(np.linalg.eigvalsh(np.cov(chosen.T)))[-2:].sum(), rel=0.05
    )


def test_project_refuses_pretrained_without_an_encoder_or_of_another_dataset(
    space, pretrained, on_encoder, tmp_path
):
    scores = on_encoder[False][1]
    with pytest.raises(ValidationError, match="FEATURES=pretrained needs ENCODER"):
        project.Parameters(scores=scores, method="pca", features="pretrained")
    info = json.loads((pretrained[0] / "encoder.json").read_text())
    moved = tmp_path / "other-pretrain"
    moved.mkdir()
    (moved / "encoder.json").write_text(json.dumps({**info, "dataset": "elsewhere"}))
    params = project.Parameters(scores=scores, method="pca", features="pretrained", encoder=moved)
    with pytest.raises(JobFailure, match=r"^the pretrain job embedded dataset 'elsewhere'"):
        project.run(params, context(space, tmp_path, "p2"))
    # an embedding of an older version of the dataset the score job scored
    with np.load(scores / "arrays.npz") as arrays:
        assert int(arrays["dataset_version"]) == info["dataset_version"]
    (moved / "encoder.json").write_text(json.dumps({**info, "dataset_version": -1}))
    with pytest.raises(JobFailure, match=r"rebuilt after the pretrain job embedded it"):
        project.run(params, context(space, tmp_path, "p3"))


def test_pretraining_refuses_a_missing_dataset_too_few_spectra_or_nans(space, tmp_path):
    with pytest.raises(JobFailure, match=r"^dataset 'gone'"):
        pretrain.run(
            pretrain.Parameters(**{**PRETRAIN, "dataset": "gone"}), context(space, tmp_path, "a")
        )
    grid = Grid.linear(6400.0, 6700.0, 64)
    for name, n, value in [("tiny", 5, 1.0), ("nans", 20, np.nan)]:
        writer = DatasetWriter(space.datasets, name, grid, capacity=n)
        for i in range(n):
            flux = np.ones(64, np.float32)
            flux[3] = value
            writer.append(
                flux, np.ones(64, np.float32), np.zeros(64, bool), {"path": f"{name}/{i}"}
            )
        writer.commit({"sources": ["demo"]})
    with pytest.raises(
        JobFailure, match=r"^dataset 'tiny' has 5 spectra; pretraining needs at least 16$"
    ):
        pretrain.run(
            pretrain.Parameters(**{**PRETRAIN, "dataset": "tiny"}), context(space, tmp_path, "b")
        )
    with pytest.raises(JobFailure, match="NaN or infinite"):
        pretrain.run(
            pretrain.Parameters(**{**PRETRAIN, "dataset": "nans"}), context(space, tmp_path, "c")
        )
