"""The score job's parts carry the target class of ``discovery`` (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from services.acquisition import discovery, mean_probs
from services.jobs import JobFailure
from services.learning import score_parts

CLASSES = ["star", "galaxy", "double_peak"]


def fake_out(n: int, seed: int) -> dict[str, np.ndarray]:
    """What ``mc_predict`` returns for n spectra of a 3-class model, T = 6."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(6, n, 3))
    log_probs = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    return {"log_probs": log_probs, "embedding": rng.normal(size=(n, 4)).astype(np.float32)}


def test_the_target_class_is_a_class_name_of_the_model():
    assert score_parts.target_index("discovery", "double_peak", CLASSES) == 2
    assert score_parts.target_index("bald", "", CLASSES) is None
    with pytest.raises(JobFailure, match=r"needs a target class.*star, galaxy, double_peak"):
        score_parts.target_index("discovery", "", CLASSES)
    with pytest.raises(JobFailure, match=r"'quasar' is not a class of the model.*double_peak"):
        score_parts.target_index("discovery", "quasar", CLASSES)


def test_discovery_over_parts_scores_by_the_target_and_selects_like_the_whole(tmp_path):
    outs = [fake_out(40, 1), fake_out(30, 2)]
    paths = []
    for index, (start, out) in enumerate(zip((0, 40), outs, strict=True)):
        pool = np.ones(len(out["embedding"]), dtype=bool)
        part = score_parts.scored(out, CLASSES, "discovery", 0, start, pool, None, 2)
        np.testing.assert_allclose(part.columns["score"], mean_probs(out["log_probs"])[:, 2])
        paths.append(tmp_path / f"{index}" / "part.npz")
        score_parts.write_part(part, paths[-1])
    merged = score_parts.read_parts(paths)
    assert merged.target_class == 2
    rows = score_parts.select(merged, "discovery", 8, 3, np.ones(70, dtype=bool))
    whole = np.concatenate([o["log_probs"] for o in outs], axis=1)
    expected, _ = discovery(whole, 8, target_class=2)
    np.testing.assert_array_equal(rows, expected)


def test_discovery_candidates_are_the_most_likely_members_of_the_target():
    out = fake_out(50, 4)
    pool = np.ones(50, dtype=bool)
    part = score_parts.scored(out, CLASSES, "discovery", 0, 100, pool, 5, 1)
    likely = mean_probs(out["log_probs"])[:, 1]
    assert set(part.cand_rows.tolist()) == set((np.argsort(-likely)[:5] + 100).tolist())


def test_balanced_over_one_part_keeps_every_pool_row_as_a_candidate():
    out = fake_out(20, 5)
    pool = np.arange(20) % 2 == 0
    part = score_parts.scored(out, CLASSES, "balanced", 0, 0, pool, None)
    rows = score_parts.select(part, "balanced", 6, 0, pool)
    assert rows.size == 6 and pool[rows].all()
