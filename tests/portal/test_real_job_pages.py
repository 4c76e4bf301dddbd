"""The job pages read what the kinds really write: a tiny real training and a real
ingestion run in-process, then their pages are checked."""

import csv
import io
import os

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from services.jobs import JobContext
from services.storage import user_space
from tests.portal.finished_jobs import finish
from tests.support.toy_upload import toy_archive
from vocloud.uws import service, storage
from vocloud.uws.kinds import KINDS

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")


def _run(job, owner):
    """Run the job's kind in this process, as a worker would, and mark it COMPLETED."""
    kind = KINDS[job.kind]
    space = user_space(settings.DATA_DIR, owner.pk).ensure()
    uploads = {
        name.lower(): storage.upload_path(job.job_id, name, filename)
        for name, filename in job.uploads.items()
    }
    params = kind.parameters_model.model_validate(
        {**{k.lower(): v for k, v in job.parameters.items()}, **uploads}
    )
    ctx = JobContext(job_id=job.job_id, job_dir=storage.job_dir(job.job_id), user_root=space.root)
    results = kind.module.run(params, ctx)
    return finish(job, {r.id: (r.path, r.mime_type) for r in results})


def test_a_real_ingestion_and_training_are_presented(client, alice, tmp_path):
    archive, snapshot, _labels = toy_archive("toy", seed=3)
    upload = {"UPLOAD": SimpleUploadedFile("toy.tar.gz", archive)}
    ingest = _run(service.create_job(alice, KINDS["ingest"], {"TARGET": "toy"}, upload), alice)
    space = user_space(settings.DATA_DIR, alice.pk)
    (space.files / "toy.labels.csv").write_text(snapshot)
    n_spectra = len(list(csv.reader(io.StringIO(snapshot)))) - 1

    import services.dataset_build as dataset_kind

    ctx = JobContext("d", tmp_path / "dataset-job", user_root=space.root)
    dataset_kind.run(dataset_kind.Parameters(name="toy", folders="toy", normalisation="none"), ctx)
    values = {"DATASET": "toy", "LABELS_FILE": "toy.labels.csv", "EPOCHS": "3",
              "FILTERS": "4", "KERNEL_SIZES": "5", "DENSE": "8", "MC_SAMPLES": "4",
              "REGIME": "early_stopping"}  # fmt: skip
    train = _run(service.create_job(alice, KINDS["train"], values), alice)

    client.force_login(alice)
    page = client.get(f"/jobs/ingest/{ingest.job_id}/").content.decode()
    assert f'Stored</span><span class="value ok">{n_spectra}<' in page
    page = client.get(f"/jobs/train/{train.job_id}/").content.decode()
    assert "Validation accuracy" in page and "validation spectra right" in page
    assert "Reliability diagram" in page and "Confusion matrix" in page
    assert 'aria-label="Loss"' in page and 'aria-label="Accuracy"' in page
    assert page.count("link for TOPCAT/SPLAT") == 1  # the validation table only
