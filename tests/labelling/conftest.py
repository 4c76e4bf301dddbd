"""A labelling session of alice's whose first round is complete (real train + al-round
outputs, computed once per test run and copied into each test's data directory)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from django.conf import settings as django_settings

from services.datasets import DatasetWriter, Grid
from services.jobs import JobContext
from services.storage import UserSpace, user_space
from tests.services.learning.conftest import CLASSES, PER_CLASS, TRAIN, write_dataset


@pytest.fixture(scope="session")
def round_outputs(tmp_path_factory):
    """(user space root, train results dir, al-round results dir) of the toy dataset."""
    from services import al_round, train

    root = tmp_path_factory.mktemp("labelling")
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
    return space.root, trained.results_dir, sampled.results_dir


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


def write_paths_dataset(owner, name: str, paths: list[str]) -> None:
    """A dataset of ``paths`` (tiny flat spectra) in ``owner``'s space: labels need one."""
    space = user_space(django_settings.DATA_DIR, owner.pk).ensure()
    writer = DatasetWriter(space.datasets, name, Grid.linear(6400.0, 6700.0, 8), len(paths))
    for path in paths:
        writer.append(
            np.ones(8, np.float32), np.ones(8, np.float32), np.zeros(8, bool), {"path": path}
        )
    writer.commit({"sources": ["test"]})
