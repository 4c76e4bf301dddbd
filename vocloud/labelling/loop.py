"""The active-learning loop of a session: snapshot -> train -> al-round -> label -> ...

Each arrow is a UWS job of the owner (visible on the jobs pages and to pyvo). The loop
moves on when someone looks: :func:`advance` starts the al-round job once training has
completed, and is called by the session pages and their status endpoint.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.db.models import Max

from services.train import MIN_LABELS
from vocloud.labelling import operations
from vocloud.labelling.models import Round, Session
from vocloud.uws import service, storage
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Phase

DEFAULTS = {"epochs": 40, "acquisition": "bald", "k": 2048, "method": "umap", "mc_samples": 20}


class LoopError(ValueError):
    """The next round cannot start (shown to the user as is)."""


def start_round(session: Session, options: dict | None = None) -> Round:
    """Freeze the labels, start training on them; the al-round follows (see advance)."""
    options = {**DEFAULTS, **(options or {})}
    with transaction.atomic():
        number = (session.rounds.aggregate(m=Max("number"))["m"] or 0) + 1
        snapshot, n_labels = operations.write_snapshot(session, f"round-{number}.labels.csv")
        if n_labels < MIN_LABELS:
            raise LoopError(
                f"{n_labels} spectra are labelled; label at least {MIN_LABELS} to train"
            )
        counts = operations.counts(session)["labels"]
        if not session.is_numeric and sum(1 for n in counts.values() if n) < 2:
            raise LoopError("label spectra of at least two classes to train")
        train = service.create_job(
            session.owner,
            KINDS["train"],
            {
                "DATASET": session.dataset,
                "LABELS_FILE": snapshot,
                "TARGET": session.target,
                "TASK": "regression" if session.is_numeric else "classification",
                "EPOCHS": str(options["epochs"]),
                "RUNID": f"labelling {session.pk} round {number}",
                "PHASE": "RUN",
            },
        )
        return Round.objects.create(
            session=session,
            number=number,
            snapshot=snapshot,
            n_labels=n_labels,
            train_job=train,
            options=options,
        )


def _metrics(job: Job) -> dict:
    try:
        return json.loads((storage.results_dir(job.job_id) / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}


def advance(round_: Round) -> Round:
    """Start the al-round job once training completed (at most once); record metrics."""
    train = round_.train_job
    if train is None or round_.round_job_id is not None or train.phase != Phase.COMPLETED:
        return round_
    options = round_.options
    params = {
        "MODEL": train.job_id,
        "DATASET": round_.session.dataset,
        "ACQUISITION": options["acquisition"],
        "K": str(options["k"]),
        "METHOD": options["method"],
        "MC_SAMPLES": str(options["mc_samples"]),
        "EXCLUDE_LABELLED": round_.snapshot,
        "RUNID": f"labelling {round_.session_id} round {round_.number}",
        "PHASE": "RUN",
    }
    if options["acquisition"] == "bald" and round_.session.is_numeric:
        params["ACQUISITION"] = "epistemic_variance"
    job = service.create_job(round_.session.owner, KINDS["al-round"], params)
    metrics = {k: v for k, v in _metrics(train).items() if k != "bins"}
    claimed = Round.objects.filter(pk=round_.pk, round_job__isnull=True).update(
        round_job=job, metrics=metrics
    )
    if not claimed:  # another request advanced it first
        service.delete_job(job)
    round_.refresh_from_db()
    return round_


def job_state(job: Job | None) -> dict | None:
    if job is None:
        return None
    return {
        "job_id": job.job_id,
        "kind": job.kind,
        "phase": job.phase,
        "progress": job.progress,
        "message": job.progress_message,
        "error": job.error_message,
    }


def status(round_: Round) -> dict:
    """What the round is doing, for the pages (JSON-ready)."""
    round_ = advance(round_)
    ready = round_.round_job is not None and round_.round_job.phase == Phase.COMPLETED
    failed = any(
        j is not None and j.phase in (Phase.ERROR, Phase.ABORTED)
        for j in (round_.train_job, round_.round_job)
    )
    return {
        "number": round_.number,
        "n_labels": round_.n_labels,
        "train": job_state(round_.train_job),
        "round": job_state(round_.round_job),
        "ready": ready,
        "failed": failed,
        "metrics": round_.metrics,
    }
