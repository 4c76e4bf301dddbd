"""Finished jobs whose result files are written by the kinds' own writers.

Training a real CNN takes tens of seconds; the job pages only read what a finished job
left behind, so these helpers write those files with the same functions the kinds call
(``services.learning.metrics``/``plots``/``votable``, ``services.ingest.report``), from
seeded, made-up predictions.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from django.conf import settings

from services.ingest.report import Row, write_report
from services.learning import metrics, plots
from services.learning.votable import write_table
from services.storage import user_space
from vocloud.uws import phases, service, storage
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Phase, Result

DATA = Path(__file__).parents[1] / "data" / "spectra"


def finish(job: Job, files: dict[str, tuple[str, str]]) -> Job:
    """Mark ``job`` COMPLETED with result id -> (file name, MIME type) already written."""
    for phase in (Phase.QUEUED, Phase.EXECUTING, Phase.COMPLETED):
        assert phases.transition(job, phase)
    for result_id, (name, mime) in files.items():
        size = storage.result_path(job.job_id, name).stat().st_size
        Result.objects.create(job=job, result_id=result_id, path=name, mime_type=mime, size=size)
    job.refresh_from_db()
    return job


def results_dir(job: Job) -> Path:
    path = storage.results_dir(job.job_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


HISTORY = {
    "loss": [1.2, 0.9, 0.7, 0.55, 0.5, 0.47],
    "val_loss": [1.25, 1.0, 0.85, 0.8, 0.79, 0.81],
    "accuracy": [0.4, 0.55, 0.68, 0.77, 0.8, 0.83],
    "val_accuracy": [0.38, 0.5, 0.62, 0.66, 0.7, 0.69],
}


def train_job(owner, n_val: int = 60, seed: int = 0, task: str = "classification") -> Job:
    """A COMPLETED train job with the result files ``services.train`` writes."""
    values = {"DATASET": "toy", "LABELS_FILE": "toy.labels.csv", "TASK": task, "EPOCHS": "6"}
    job = service.create_job(owner, KINDS["train"], values)
    out = results_dir(job)
    rng = np.random.default_rng(seed)
    paths = np.array([f"toy/s{i:03d}.fits" for i in range(n_val)])
    if task == "classification":
        classes = np.array(["absorption", "emission", "flat"])
        labels = rng.integers(0, 3, n_val)  # [n_val]
        logits = rng.normal(size=(n_val, 3)) + 2.0 * np.eye(3)[labels]  # [n_val, C]
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        found = metrics.calibration(probs, labels)
        plots.reliability_diagram(found["bins"], found["ece"], out / "calibration.html")
        table = {
            "path": paths,
            "label": classes[labels],
            "predicted": classes[probs.argmax(axis=1)],
            "confidence": probs.max(axis=1),
        }
        summary = {"accuracy": found["accuracy"], "ece": found["ece"], "bins": found["bins"]}
        history = HISTORY
    elif task == "votes":
        questions = ["smooth", "disk"]
        voters = rng.integers(5, 40, size=(n_val, 2))  # [n_val, Q]
        fraction = rng.uniform(0.1, 0.9, size=(n_val, 2))
        y = np.stack([rng.binomial(voters, fraction), voters], axis=-1)  # [n_val, Q, 2]
        probs = np.clip(fraction[None] + rng.normal(0, 0.05, (8, n_val, 2)), 0.01, 0.99)
        summary = metrics.votes(probs, y, questions)
        table = {"path": paths}
        for q, name in enumerate(questions):
            table.update({f"{name}_votes": y[:, q, 0], f"{name}_voters": y[:, q, 1],
                          f"{name}_fraction": probs.mean(axis=0)[:, q]})  # fmt: skip
        history = {"loss": HISTORY["loss"], "val_loss": HISTORY["val_loss"]}
    else:
        truth = rng.normal(5000, 800, n_val)  # [n_val], e.g. Teff in K
        mean = truth + rng.normal(0, 150, n_val)
        sigma = np.full(n_val, 160.0)
        found = metrics.regression(mean, sigma, truth)
        table = {"path": paths, "truth": truth, "mean": mean, "sigma": sigma, "pit": found["pit"]}
        summary = {k: v for k, v in found.items() if k != "pit"}
        history = {"loss": HISTORY["loss"], "val_loss": HISTORY["val_loss"]}
    write_table(table, out / "validation.vot", "validation predictions (MC-dropout mean)")
    summary.update(n_labelled=n_val * 5, n_train=n_val * 4, n_validation=n_val, epochs_run=6)
    (out / "metrics.json").write_text(json.dumps(summary, indent=1))
    (out / "model.keras").write_bytes(b"PK\x03\x04" + bytes(20_000))
    (out / "model.json").write_text(json.dumps({"format": "vocloud-model", "training": summary}))
    plots.learning_curve(history, out / "learning_curve.html", "Learning curve: toy, class")
    files = {
        "result": ("validation.vot", "application/x-votable+xml"),
        "model": ("model.keras", "application/octet-stream"),
        "model-info": ("model.json", "application/json"),
        "metrics": ("metrics.json", "application/json"),
        "learning-curve": ("learning_curve.html", "text/html"),
    }
    if task == "classification":
        files["calibration"] = ("calibration.html", "text/html")
    return finish(job, files)


def alice_dataset(owner, tmp_path: Path, name: str = "lamost3"):
    """A real dataset built by the ``dataset`` kind from the LAMOST test spectra."""
    import services.dataset_build as kind
    from services.jobs import JobContext

    space = user_space(settings.DATA_DIR, owner.pk).ensure()
    shutil.copytree(DATA / "lamost-dr2", space.files / "lamost", dirs_exist_ok=True)
    ctx = JobContext("j", tmp_path / f"job-{name}", user_root=space.root)
    kind.run(kind.Parameters(name=name, folders="lamost"), ctx)
    return space


def score_job(owner, model: Job, dataset: str = "lamost3", kind: str = "score") -> Job:
    """A COMPLETED score (or al-round) job whose ``top-k`` names rows of ``dataset``."""
    from services.datasets import open_dataset

    space = user_space(settings.DATA_DIR, owner.pk)
    opened = open_dataset(space.dataset(dataset))
    n = opened.n_spectra
    job = service.create_job(
        owner, KINDS[kind], {"MODEL": model.job_id, "DATASET": dataset, "K": str(n)}
    )
    rows = np.arange(n)[::-1]  # [k] acquisition order
    table = {
        "row": rows,
        "path": np.asarray(opened.meta["path"]).astype(str)[rows],
        "object": np.asarray(opened.meta["object"]).astype(str)[rows],
        "score": np.linspace(0.9, 0.1, n),
        "predicted": np.array(["emission"] * n),
        "confidence": np.linspace(0.4, 0.9, n),
        "selected": np.arange(n),
    }
    write_table(table, results_dir(job) / "top_k.vot", f"top {n} by bald")
    write_table(table, results_dir(job) / "scores.vot", "bald scores")
    (results_dir(job) / "arrays.npz").write_bytes(b"\x00" * 100)
    return finish(
        job,
        {
            "result": ("scores.vot", "application/x-votable+xml"),
            "top-k": ("top_k.vot", "application/x-votable+xml"),
            "arrays": ("arrays.npz", "application/octet-stream"),
        },
    )


def ingest_job(owner, rows: list[Row] | None = None) -> Job:
    """A COMPLETED ingest job with its report."""
    job = service.create_job(owner, KINDS["ingest"], {"TARGET": "survey", "URL": "https://x.org/"})
    rows = rows or [
        Row("https://x.org/a.fits", path="survey/a.fits", status="ok"),
        Row("https://x.org/b.fits", path="survey/b.fits", status="ok"),
        Row("https://x.org/c.fits", status="skipped", reason="already in your storage"),
        Row("https://x.org/d.fits", reason="HTTP 404 Not Found"),
        Row("https://x.org/e.fits", reason="HTTP 404 Not Found"),
        Row("https://x.org/f.txt", reason="not a spectrum: no flux column"),
    ]
    write_report(rows, results_dir(job) / "report.vot", ["1 already in your storage"])
    return finish(job, {"result": ("report.vot", "application/x-votable+xml")})
