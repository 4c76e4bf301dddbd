"""The collapse check: one class for nearly everything while the labels were spread."""

from __future__ import annotations

import json

import numpy as np

from services.learning.collapse import MIN_SPECTRA, detect

BALANCED = {"A": 9, "F": 8, "G": 9}


def test_one_class_for_nearly_every_spectrum_is_collapsed():
    predicted = ["F"] * 894 + ["A"] * 20 + ["G"] * 13  # the issue's run: 894 of 927
    found = detect(predicted, BALANCED, "unlabelled spectra")
    assert found["collapsed"] and found["class"] == "F"
    assert (found["k"], found["n"]) == (894, 927)
    assert found["low"] < found["share"] < found["high"]
    assert found["sentence"].startswith("The model predicts F for 894 of 927 unlabelled spectra")
    assert "no class has more than 35% of the 26 labels" in found["sentence"]
    json.dumps(found, allow_nan=False)  # JSON-ready


def test_predictions_in_proportion_to_the_labels_are_not_collapsed():
    rng = np.random.default_rng(0)
    predicted = rng.choice(["A", "F", "G"], 500, p=[0.4, 0.3, 0.3])
    found = detect(predicted, BALANCED)
    assert not found["collapsed"] and found["sentence"] == ""
    assert found["share"] < 0.5


def test_genuinely_imbalanced_labels_are_not_flagged():
    # a rare-object search: 85 % of the labels are "star"; predicting star for 95 % is fine
    predicted = ["star"] * 950 + ["quasar"] * 50
    found = detect(predicted, {"star": 85, "quasar": 15})
    assert not found["collapsed"] and found["label_share"] == 0.85


def test_too_few_predictions_or_one_labelled_class_are_not_judged():
    assert not detect(["A"] * (MIN_SPECTRA - 1), BALANCED)["collapsed"]
    assert detect(["A"] * MIN_SPECTRA, BALANCED)["collapsed"]
    assert not detect(["A"] * 100, {"A": 30})["collapsed"]
    old = detect(["A"] * 100, {})  # a model from before label counts were recorded
    assert not old["collapsed"] and not old["judged"]
    empty = detect([], BALANCED)
    assert not empty["collapsed"] and empty["n"] == 0 and empty["share"] is None
    json.dumps(empty, allow_nan=False)


def test_the_threshold_is_ninety_per_cent_of_the_predictions():
    assert detect(["A"] * 90 + ["F"] * 10, BALANCED)["collapsed"]
    assert not detect(["A"] * 89 + ["F"] * 11, BALANCED)["collapsed"]
    assert not detect(["A"] * 95 + ["F"] * 5, {"A": 71, "F": 29})["collapsed"]
