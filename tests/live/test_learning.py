"""The learning chain through UWS, driven with pyvo: ingest, dataset, train, score, project."""

import csv
import io

import numpy as np
import pytest

from tests.services.learning.conftest import CLASSES
from tests.support.platform import run_job
from tests.support.toy_upload import toy_archive

pytestmark = pytest.mark.platform


def test_train_score_project_through_uws(platform):
    archive, snapshot, labels = toy_archive("learning")
    staff = platform.session("staff")  # a space of its own
    run_job(
        staff,
        platform,
        "ingest",
        TARGET="learning",
        files={"UPLOAD": ("toy.tar.gz", archive)},
    )
    run_job(staff, platform, "dataset", NAME="toy", FOLDERS="learning", NORMALISATION="none")
    trained = run_job(
        staff,
        platform,
        "train",
        DATASET="toy",
        EPOCHS=25,
        BATCH_SIZE=16,
        FILTERS="8,16",
        KERNEL_SIZES="5,3",
        DENSE=32,
        PATIENCE=25,
        SEED=1,
        files={"LABELS": ("labels.csv", snapshot)},
    )
    validation = trained.fetch_result().to_table()
    assert np.mean(validation["label"] == validation["predicted"]) >= 0.7
    scored = run_job(
        staff,
        platform,
        "score",
        MODEL=trained.job_id,
        DATASET="toy",
        K=10,
        ACQUISITION="bald",
        MC_SAMPLES=10,
    )
    table = scored.fetch_result().to_table()
    assert len(table) == len(labels) and (table["selected"] >= 0).sum() == 10
    assert set(table["predicted"]) <= set(CLASSES)
    assert {r.id_ for r in scored.results} == {"result", "top-k", "arrays"}
    projected = run_job(staff, platform, "project", SCORES=scored.job_id, METHOD="pca", K=10)
    coords = projected.fetch_result().to_table()
    assert len(coords) == 10 and np.all(np.isfinite(coords["x"]))
    round_ = run_job(
        staff,
        platform,
        "al-round",
        MODEL=trained.job_id,
        DATASET="toy",
        K=10,
        METHOD="pca",
        MC_SAMPLES=5,
    )
    assert len(round_.fetch_result().to_table()) == 10
    # "Am I correct?": the expert checks the first 6 predictions of the score job
    verdicts = io.StringIO()
    out = csv.writer(verdicts)
    out.writerow(["path", "verdict"])
    for n, path in enumerate(table["path"][:6]):
        out.writerow([path, "yes" if n % 3 else "no"])
    assessed = run_job(
        staff,
        platform,
        "assess",
        SCORES=scored.job_id,
        CANDIDATE_CLASS=str(table["predicted"][0]),
        files={"VERDICTS": ("verdicts.csv", verdicts.getvalue())},
    )
    rates = assessed.fetch_result().to_table()
    assert rates["checked"].sum() == 6 and rates["correct"].sum() == 4
    assert np.all(rates["low"] <= rates["rate"]) and np.all(rates["rate"] <= rates["high"])
    assert {r.id_ for r in assessed.results} == {"result", "performance", "plot", "candidates"}
