"""Training with few labels (fixed schedule, no held-out set, weight decay c / N), and the
collapse check of train, score and al-round on a real model biased to one class."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from astropy.io.votable import parse

from services import al_round, score, train
from tests.services.learning.conftest import CLASSES, PER_CLASS, TRAIN, context

FAST = {**TRAIN, "batch_size": 5, "epochs": 5, "mc_samples": 5}


def _labels(space, name: str, per_class: int) -> str:
    """A snapshot with the first ``per_class`` toy spectra of each class."""
    with (space.files / name).open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["path", "class"])
        for c, label in enumerate(CLASSES):
            for i in range(per_class):
                out.writerow([f"demo/s{c * PER_CLASS + i:03d}.fits", label])
    return name


@pytest.fixture(scope="module")
def few(space, tmp_path_factory):
    """A train job on 5 labels per class (REGIME=auto): (params, results directory)."""
    params = train.Parameters(**{**FAST, "labels_file": _labels(space, "five-each.csv", 5)})
    ctx = context(space, tmp_path_factory.mktemp("few"), "few")
    return params, ctx.results_dir, [r.id for r in train.run(params, ctx)]


def test_few_labels_train_on_all_for_a_fixed_schedule_and_say_nothing_was_validated(few):
    params, results, ids = few
    found = json.loads((results / "metrics.json").read_text())
    assert found["regime"] == "fixed" and found["validation"] == "not measured: too few labels"
    assert found["n_validation"] == 0 and found["n_train"] == found["n_labelled"] == 15
    assert "accuracy" not in found and "ece" not in found
    # at least FIXED_MIN_STEPS gradient steps: 15 labels in batches of 5 are 3 a epoch
    assert found["epochs_run"] == train.fixed_epochs(params, 15) == -(-train.FIXED_MIN_STEPS // 3)
    history = json.loads((results / "history.json").read_text())
    assert "val_loss" not in history and len(history["loss"]) == found["epochs_run"]
    assert found["label_counts"] == dict.fromkeys(sorted(CLASSES), 5)
    assert found["collapse"]["n"] == 15 and not found["collapse"]["collapsed"]
    assert "calibration" not in ids and "result" in ids
    table = parse(str(results / "labelled.vot")).get_first_table()
    assert "not a validation" in " ".join(table.description.split())
    assert len(table.array) == 15


def test_weight_decay_is_the_coefficient_over_the_number_of_labels(few):
    from services import models

    params, results, _ = few
    found = json.loads((results / "metrics.json").read_text())
    assert found["weight_decay"] == pytest.approx(params.weight_decay / 15)
    model, sidecar = models.load_model(results / "model.keras")
    output = models.Head.classification(sidecar.class_names).output_name
    for name in ("embedding", output):
        layer = model.get_layer(name)
        assert layer.kernel_regularizer.l2 == pytest.approx(params.weight_decay / 15)
    assert model.get_layer("conv0").kernel_regularizer is None


def test_the_regime_follows_the_held_out_share_unless_chosen():
    params = train.Parameters(**TRAIN)  # validation share 0.2
    limit = train.MIN_HELD_OUT
    assert train.regime_for(params, round((limit - 0.5) / 0.2) - 1) == "fixed"
    assert train.regime_for(params, 5 * limit) == "early_stopping"
    forced = train.Parameters(**{**TRAIN, "regime": "early_stopping"})
    assert train.regime_for(forced, 12) == "early_stopping"
    assert train.regime_for(train.Parameters(**{**TRAIN, "regime": "fixed"}), 10_000) == "fixed"
    numbers = train.Parameters(**{**TRAIN, "task": "regression"})  # not measured: unchanged
    assert train.regime_for(numbers, 12) == "early_stopping"
    with pytest.raises(ValueError):
        train.Parameters(**{**TRAIN, "regime": "sometimes"})


def test_early_stopping_when_chosen_holds_out_and_validates_as_before(space, tmp_path):
    params = train.Parameters(
        **{**FAST, "labels_file": _labels(space, "ten-each.csv", 10), "regime": "early_stopping"}
    )
    ctx = context(space, tmp_path, "early")
    ids = [r.id for r in train.run(params, ctx)]
    found = json.loads((ctx.results_dir / "metrics.json").read_text())
    assert found["regime"] == "early_stopping" and found["weight_decay"] == 0.0
    assert found["n_validation"] == 6 and found["n_train"] == 24 and "accuracy" in found
    assert found["validation"] == "held out: 6 spectra"
    assert "calibration" in ids and (ctx.results_dir / "validation.vot").is_file()
    history = json.loads((ctx.results_dir / "history.json").read_text())
    assert "val_loss" in history
    assert found["collapse"]["n"] == 30  # judged on every labelled spectrum


@pytest.fixture(scope="module")
def collapsed_model(few, tmp_path_factory):
    """The few-label model with its output bias pushed to one class: a collapsed model."""
    from services import models

    _, results, _ = few
    model, sidecar = models.load_model(results / "model.keras")
    output = model.get_layer(models.Head.classification(sidecar.class_names).output_name)
    bias = np.zeros(len(sidecar.class_names), np.float32)
    bias[0] = 50.0  # logits dwarf what the embedding can add: class 0 everywhere
    output.bias.assign(bias)
    where = tmp_path_factory.mktemp("collapsed")
    models.save_model(
        model,
        where / "model.keras",
        models.Head.classification(sidecar.class_names),
        n_pix=sidecar.n_pix,
        wave_min=sidecar.wave_min,
        wave_max=sidecar.wave_max,
        training=sidecar.training,
    )
    return where, sidecar.class_names[0]


def _infos(path) -> dict[str, str]:
    return {info.name: info.value for info in parse(str(path)).resources[0].infos}


def test_score_reports_a_collapsed_model_on_the_unlabelled_pool(space, collapsed_model, tmp_path):
    model_dir, one_class = collapsed_model
    ctx = context(space, tmp_path, "score-collapsed")
    seen = []
    ctx.report = lambda fraction, message: seen.append(message)
    params = score.Parameters(
        model=model_dir, dataset="toy", k=5, mc_samples=4, exclude_labelled="five-each.csv"
    )
    ids = [r.id for r in score.run(params, ctx)]
    assert ids == ["result", "top-k", "arrays"]
    for name in ("scores.vot", "top_k.vot"):
        infos = _infos(ctx.results_dir / name)
        assert infos["collapsed"] == "true" and infos["collapse_class"] == one_class
        assert infos["collapse_k"] == infos["collapse_n"] == "75"  # the 75 unlabelled
        assert infos["collapse"].startswith(
            f"The model predicts {one_class} for 75 of 75 unlabelled"
        )
    assert "the model looks collapsed to one class" in seen[-1]


def test_score_of_a_sound_model_says_it_is_not_collapsed(space, trained, tmp_path):
    ctx = context(space, tmp_path, "score-sound")
    score.run(score.Parameters(model=trained[0], dataset="toy", k=5, mc_samples=4), ctx)
    infos = _infos(ctx.results_dir / "top_k.vot")
    assert infos["collapsed"] == "false" and "collapse" not in infos
    assert int(infos["collapse_k"]) < 0.5 * int(infos["collapse_n"]) == 45


def test_al_round_writes_the_pool_verdict_into_its_summary(space, collapsed_model, tmp_path):
    model_dir, one_class = collapsed_model
    ctx = context(space, tmp_path, "round-collapsed")
    params = al_round.Parameters(
        model=model_dir, dataset="toy", k=6, mc_samples=4, method="pca",
        exclude_labelled="five-each.csv",
    )  # fmt: skip
    ids = [r.id for r in al_round.run(params, ctx)]
    assert "summary" in ids and len(ids) == len(set(ids))
    verdict = json.loads((ctx.results_dir / "summary.json").read_text())["collapse"]
    assert verdict["collapsed"] and verdict["class"] == one_class and verdict["n"] == 75
