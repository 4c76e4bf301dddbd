"""A labelling session of alice's whose first round is complete: real train + al-round
outputs on the toy dataset, computed once per test run and shared by every module (and every
xdist worker: the first to ask computes them under a file lock, the others copy them), then
copied into each test's data directory."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from services.jobs import JobContext
from services.storage import UserSpace, user_space
from tests.services.learning.conftest import CLASSES, PER_CLASS, TRAIN, write_dataset


def _compute(root: Path) -> None:
    from services import al_round, train

    space = UserSpace(root / "user").ensure()
    rows = write_dataset(space, "toy")
    (space.files / "labels.csv").write_text(
        "path,class\n" + "".join(f"{p},{c}\n" for p, c in rows[::6])  # 5 per class
    )
    trained = JobContext(job_id="t", job_dir=root / "train", user_root=space.root)
    train.run(train.Parameters(**TRAIN), trained)
    sampled = JobContext(job_id="r", job_dir=root / "round", user_root=space.root)
    params = al_round.Parameters(
        model=trained.results_dir,
        dataset="toy",
        k=30,
        mc_samples=5,
        method="pca",
        exclude_labelled="labels.csv",
    )
    al_round.run(params, sampled)


@pytest.fixture(scope="session")
def round_outputs(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(user space root, train results dir, al-round results dir) of the toy dataset."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this run
    root = base / "labelling-round"
    with open(base / "labelling-round.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            _compute(root)
            (root / "done").touch()
    return root / "user", root / "train" / "results", root / "round" / "results"


def completed_job(owner, kind: str, results, parameters: dict):
    from vocloud.uws import service, storage
    from vocloud.uws.models import Job, Phase

    job = Job.objects.create(
        kind=kind,
        owner=owner,
        phase=Phase.COMPLETED,
        creation_time=service.now_ms(),
        execution_duration=0,
        destruction=service.latest_destruction(),
        parameters=parameters,
    )
    shutil.copytree(results, storage.results_dir(job.job_id))
    return job


@pytest.fixture
def labelling(alice, settings, round_outputs):
    """alice's session "toy" with 15 labels and round 1 ready."""
    from vocloud.labelling import operations
    from vocloud.labelling.models import Round, Session

    space_root, train_results, round_results = round_outputs
    space = user_space(settings.DATA_DIR, alice.pk)
    shutil.copytree(space_root, space.root)
    session = Session.objects.create(
        owner=alice, name="toy", dataset="toy", classes=sorted(CLASSES), target="class"
    )
    rows = [
        {"path": f"demo/s{i:03d}.fits", "class": CLASSES[i // PER_CLASS]}
        for i in range(0, len(CLASSES) * PER_CLASS, 6)
    ]
    operations.import_labels(session, rows, per_class=0, seed=0)
    train_job = completed_job(alice, "train", train_results, {"DATASET": "toy"})
    round_job = completed_job(alice, "al-round", round_results, {"DATASET": "toy"})
    Round.objects.create(
        session=session,
        number=1,
        snapshot="labels.csv",
        n_labels=15,
        train_job=train_job,
        round_job=round_job,
        options={},
    )
    return session
