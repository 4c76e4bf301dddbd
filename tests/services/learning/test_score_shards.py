"""A score job cut into shards (plan, run_shard each, merge) gives what the whole pool gives."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io.votable import parse_single_table

from services import score
from tests.services.learning.conftest import context


def _sharded(params: score.Parameters, ctx) -> list[dict]:
    shards = score.plan(params, ctx)
    for shard in reversed(shards):  # any order: each shard writes its own part
        score.run_shard(params, shard, ctx)
    score.merge(params, shards, ctx)
    return shards


def _table(ctx):
    return parse_single_table(ctx.results_dir / "scores.vot").to_table()


@pytest.mark.parametrize("method", ["bald", "random", "entropy"])
def test_shards_give_the_scores_and_selection_of_the_whole_pool(space, trained, tmp_path, method):
    common = dict(model=trained[0], dataset="toy", k=9, mc_samples=8, batch_size=16)
    params = score.Parameters(acquisition=method, **common)
    whole = context(space, tmp_path, "whole")
    score.run(params, whole)
    parts = context(space, tmp_path, "parts")
    shards = _sharded(score.Parameters(acquisition=method, shard_size=20, **common), parts)
    # 20 rounds up to the batch grid (32): 90 rows in shards of 32, 32 and 26.
    assert [(s["start"], s["stop"]) for s in shards] == [(0, 32), (32, 64), (64, 90)]
    one, many = _table(whole), _table(parts)
    np.testing.assert_allclose(many["score"], one["score"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(many["bald"], one["bald"], rtol=1e-4, atol=1e-6)
    assert list(many["predicted"]) == list(one["predicted"])
    assert list(many["selected"]) == list(one["selected"])
    whole_arrays = np.load(whole.results_dir / "arrays.npz")
    part_arrays = np.load(parts.results_dir / "arrays.npz")
    np.testing.assert_allclose(part_arrays["embedding"], whole_arrays["embedding"], rtol=1e-5)
    assert list(part_arrays["selected"]) == list(whole_arrays["selected"])


def test_batch_aware_methods_choose_among_every_shards_best(space, trained, tmp_path):
    params = score.Parameters(
        model=trained[0], dataset="toy", k=5, mc_samples=8, batch_size=16, shard_size=32,
        acquisition="bald_kcenter",
    )  # fmt: skip
    ctx = context(space, tmp_path, "kcenter")
    shards = _sharded(params, ctx)
    assert len(shards) == 3 and shards[0]["candidates"] == score.MIN_CANDIDATES
    table = _table(ctx)
    chosen = table[table["selected"] >= 0]
    assert len(chosen) == 5 and len(set(chosen["row"])) == 5


def test_the_pool_mask_is_kept_across_shards(space, trained, tmp_path):
    labelled = [f"demo/s{i:03d}.fits" for i in range(0, 90, 2)]  # every other spectrum
    (space.files / "half.csv").write_text("path,class\n" + "".join(f"{p},x\n" for p in labelled))
    params = score.Parameters(
        model=trained[0], dataset="toy", k=30, mc_samples=4, batch_size=16, shard_size=16,
        exclude_labelled="half.csv",
    )  # fmt: skip
    ctx = context(space, tmp_path, "pool")
    _sharded(params, ctx)
    table = _table(ctx)
    chosen = table[table["selected"] >= 0]
    assert len(chosen) == 30 and not set(chosen["path"]) & set(labelled)
    order = np.argsort(chosen["selected"])
    assert np.all(np.diff(np.asarray(chosen["score"])[order]) <= 0)  # best first


def test_too_many_shards_are_merged_into_fewer(space, trained, tmp_path, monkeypatch):
    monkeypatch.setattr(score, "MAX_SHARDS", 2)
    params = score.Parameters(model=trained[0], dataset="toy", shard_size=1, batch_size=8)
    shards = score.plan(params, context(space, tmp_path, "few"))
    assert len(shards) == 2 and shards[-1]["stop"] == 90
