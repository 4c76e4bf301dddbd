"""The active-learning loop of a session: snapshot -> train -> al-round -> label -> ...

Each arrow is a UWS job of the owner (visible on the jobs pages and to pyvo). The loop
moves on when someone looks: :func:`advance` starts the al-round job once training has
completed, and is called by the session pages and their status endpoint.

A round fails when one of its jobs ends in ERROR or ABORTED, or is deleted (by its owner,
or by the janitor at its destruction time): :func:`status` then says why in one sentence,
and :func:`retry_round` starts the failed part again from the same label snapshot.

A session may begin with no labels: :func:`propose_round` starts a *cold-start* round, with
no training, whose one job (``propose``) chooses the first spectra to label by typicality
(TypiClust) in a pretrained embedding or in PCA of the flux. Its ``Round`` has no
``train_job`` and ``options["cold_start"]`` true; its labelling page is an al-round's,
without the model's predictions.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from services.datasets import DatasetError, dataset_dir, open_dataset
from services.messages import for_user
from services.storage import user_space
from services.train import MIN_LABELS
from vocloud.labelling import operations, validation
from vocloud.labelling.models import Round, Session
from vocloud.uws import service, storage
from vocloud.uws.errors import UWSError
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Phase

DEFAULTS = {"epochs": 40, "acquisition": "bald", "k": 2048, "method": "umap", "mc_samples": 20}
#: Options of a cold-start round (``encoder``: a pretrain job's id, or "" for PCA of the flux).
PROPOSE_DEFAULTS = {"k": 30, "method": "umap", "encoder": ""}
#: What a cold-start round's proposals were chosen in (the propose job's summary says).
PROPOSED_BY = {
    "embedding": "Proposed by typicality (TypiClust) in the pretrained embedding",
    "pca": "Proposed by typicality (TypiClust) in PCA of the flux",
}


class LoopError(ValueError):
    """The next round cannot start (shown to the user as is)."""


def dataset_size(session: Session) -> int | None:
    """Spectra in the current version of the session's dataset; None when it is gone."""
    datasets = user_space(settings.DATA_DIR, session.owner_id).datasets
    try:
        return open_dataset(dataset_dir(datasets, session.dataset)).n_spectra
    except (DatasetError, OSError):
        return None


def _check_dataset(session: Session) -> None:
    if dataset_size(session) is None:
        raise LoopError(
            f"The dataset {session.dataset} of this session is gone (deleted or unreadable): "
            "nothing was started. Make a dataset of that name again to go on."
        )


def _create(session: Session, kind: str, params: dict[str, str]) -> Job:
    try:
        return service.create_job(session.owner, KINDS[kind], params)
    except UWSError as exc:  # too many jobs, a parameter refused: one sentence for the page
        raise LoopError(f"Cannot start the {kind} job: {for_user(str(exc))}") from None


def _train(session: Session, snapshot: str, number: int, options: dict) -> Job:
    return _create(
        session,
        "train",
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


def _freeze(session: Session, *, with_marks: bool = False) -> tuple[int, str, int]:
    """The next round's number, its label snapshot and how many labels that holds."""
    number = (session.rounds.aggregate(m=Max("number"))["m"] or 0) + 1
    name = f"round-{number}.labels.csv"
    snapshot, n_labels = operations.write_snapshot(session, name, with_marks=with_marks)
    return number, snapshot, n_labels


def start_round(session: Session, options: dict | None = None) -> Round:
    """Freeze the labels, start training on them; the al-round follows (see advance)."""
    options = {**DEFAULTS, **(options or {})}
    target = options.get("target_class") or ""
    if options["acquisition"] == "discovery" and target not in session.classes:
        raise LoopError(
            f"Discovery needs a target class of this session ({', '.join(session.classes)}); "
            f"got {target or 'none'}."
        )
    with transaction.atomic():
        number, snapshot, n_labels = _freeze(session)
        if n_labels < MIN_LABELS:
            raise LoopError(
                f"{n_labels} spectra are labelled; label at least {MIN_LABELS} to train"
            )
        counts = operations.counts(session)["labels"]
        if not session.is_numeric and sum(1 for n in counts.values() if n) < 2:
            raise LoopError("label spectra of at least two classes to train")
        _check_dataset(session)
        return Round.objects.create(
            session=session,
            number=number,
            snapshot=snapshot,
            n_labels=n_labels,
            train_job=_train(session, snapshot, number, options),
            options=options,
        )


def is_cold_start(round_: Round) -> bool:
    """Whether the round proposes spectra without a model (see :func:`propose_round`)."""
    return bool((round_.options or {}).get("cold_start"))


def _propose(session: Session, snapshot: str, number: int, options: dict) -> Job:
    params = {
        "DATASET": session.dataset,
        "K": str(options["k"]),
        "METHOD": options["method"],
        "EXCLUDE_LABELLED": snapshot,
        "RUNID": f"labelling {session.pk} round {number}",
        "PHASE": "RUN",
    }
    if options.get("encoder"):
        params["ENCODER"] = options["encoder"]
    return _create(session, "propose", params)


def propose_round(session: Session, options: dict | None = None) -> Round:
    """Start a cold-start round: no training, a ``propose`` job chooses spectra to label.

    ``options``: ``k`` (how many to propose), ``method`` (umap, tsne, pca: the map) and
    ``encoder`` (a finished pretrain job of the owner's, or "" for PCA of the flux). The
    labels so far (any number, none included) are frozen into the round's snapshot with the
    spectra marked "not sure" or "bad data": none of them is proposed again, and their
    clusters count as covered. Raises LoopError when the job cannot start.
    """
    options = {**PROPOSE_DEFAULTS, **(options or {}), "cold_start": True}
    options["encoder"] = str(options.get("encoder") or "")
    with transaction.atomic():
        number, snapshot, n_labels = _freeze(session, with_marks=True)
        _check_dataset(session)
        return Round.objects.create(
            session=session,
            number=number,
            snapshot=snapshot,
            n_labels=n_labels,
            train_job=None,
            round_job=_propose(session, snapshot, number, options),
            round_started=True,
            options=options,
        )


def encoder_choices(session: Session) -> list[tuple[str, str]]:
    """(job id, text) of the owner's finished pretrain jobs, newest first, for the forms."""
    jobs = Job.objects.filter(owner=session.owner, kind="pretrain", phase=Phase.COMPLETED)
    choices = []
    for job in jobs.order_by("-creation_time")[:50]:
        dataset = (job.parameters or {}).get("DATASET", "")
        text = " ".join(p for p in (job.run_id, f"({dataset})" if dataset else "") if p)
        choices.append((job.job_id, f"pretrain {job.job_id[:10]} {text}".strip()))
    return choices


def proposed_by(round_: Round) -> str:
    """The sentence saying how a cold-start round chose its spectra; "" for other rounds."""
    if not is_cold_start(round_):
        return ""
    job = round_.round_job
    if job is not None and job.phase == Phase.COMPLETED:
        try:
            found = json.loads((storage.results_dir(job.job_id) / "summary.json").read_text())
            return PROPOSED_BY[found["features"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return PROPOSED_BY["embedding" if round_.options.get("encoder") else "pca"]


def _metrics(job: Job) -> dict:
    try:
        return json.loads((storage.results_dir(job.job_id) / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}


def _scoring_started(round_: Round) -> bool:
    return round_.round_started or round_.round_job_id is not None


def advance(round_: Round) -> Round:
    """Start the al-round job once training completed (at most once); record metrics.

    Raises LoopError when the job cannot be created (e.g. too many jobs).
    """
    train = round_.train_job
    if train is None or _scoring_started(round_) or train.phase != Phase.COMPLETED:
        return round_
    options = {**DEFAULTS, **round_.options}
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
    if options["acquisition"] == "discovery":
        params["TARGET_CLASS"] = options["target_class"]
    if options["acquisition"] == "bald" and round_.session.is_numeric:
        params["ACQUISITION"] = "epistemic_variance"
    job = _create(round_.session, "al-round", params)
    metrics = {k: v for k, v in _metrics(train).items() if k != "bins"}
    claimed = Round.objects.filter(
        pk=round_.pk, round_started=False, round_job__isnull=True
    ).update(round_job=job, round_started=True, metrics=metrics)
    if not claimed:  # another request advanced it first
        service.delete_job(job)
    round_.refresh_from_db()
    return round_


def _ended(job: Job, what: str) -> str:
    """Why a job in ERROR or ABORTED ended, as one sentence naming the step."""
    reason = for_user(job.error_message, settings.DATA_DIR).strip()
    if job.phase == Phase.ERROR:
        sentence = f"{what} failed: {reason or 'the job ended with an error'}"
    else:
        sentence = f"{what} was stopped" + (f": {reason}" if reason else "")
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def failure(round_: Round) -> str:
    """Why the round cannot finish, in one sentence; "" while it runs or once it is ready."""
    train, scoring = round_.train_job, round_.round_job
    if scoring is not None and scoring.phase == Phase.COMPLETED:
        return ""
    if is_cold_start(round_):
        if scoring is not None and scoring.phase in (Phase.ERROR, Phase.ABORTED):
            return _ended(scoring, "Proposing spectra")
        return "The proposal job of this round was deleted." if scoring is None else ""
    if scoring is not None and scoring.phase in (Phase.ERROR, Phase.ABORTED):
        return _ended(scoring, "Scoring and projection")
    if train is None:
        return "The training job of this round was deleted."
    if train.phase in (Phase.ERROR, Phase.ABORTED):
        return _ended(train, "Training")
    if round_.round_started and scoring is None:
        return "The scoring and projection job of this round was deleted."
    return ""


def retry_round(round_: Round) -> Round:
    """Start a failed round again: a new train job from the same snapshot and options, or
    (when only the al-round failed) a new al-round job on the finished model.

    Raises LoopError when the round has not failed, or its dataset or snapshot is gone.
    """
    round_ = Round.objects.select_related("session", "train_job", "round_job").get(pk=round_.pk)
    if is_cold_start(round_):
        return _retry_proposal(round_)
    failed, train = failure(round_), round_.train_job
    trained = train is not None and train.phase == Phase.COMPLETED
    if not failed and not (trained and not _scoring_started(round_)):
        raise LoopError(f"Round {round_.number} has not failed: nothing to retry.")
    session = round_.session
    _check_dataset(session)
    if trained:
        # the model is there: score again (advance starts the job and records the metrics;
        # it also starts an al-round that could not start before, e.g. with too many jobs)
        Round.objects.filter(pk=round_.pk, round_job=round_.round_job_id).update(
            round_job=None, round_started=False
        )
        round_.refresh_from_db()
        return advance(round_)
    space = user_space(settings.DATA_DIR, session.owner_id)
    if not (space.files / round_.snapshot).is_file():
        raise LoopError(
            f"The label snapshot of round {round_.number} ({round_.snapshot}) is gone: "
            "start a new round instead."
        )
    job = _train(session, round_.snapshot, round_.number, {**DEFAULTS, **round_.options})
    claimed = Round.objects.filter(pk=round_.pk, train_job=round_.train_job_id).update(
        train_job=job, round_job=None, round_started=False, metrics={}
    )
    if not claimed:  # another request retried it first
        service.delete_job(job)
    round_.refresh_from_db()
    return round_


def _retry_proposal(round_: Round) -> Round:
    """A new propose job for a failed cold-start round, from its snapshot and options."""
    if not failure(round_):
        raise LoopError(f"Round {round_.number} has not failed: nothing to retry.")
    session = round_.session
    _check_dataset(session)
    space = user_space(settings.DATA_DIR, session.owner_id)
    if not (space.files / round_.snapshot).is_file():
        raise LoopError(
            f"The label snapshot of round {round_.number} ({round_.snapshot}) is gone: "
            "propose spectra again instead."
        )
    job = _propose(session, round_.snapshot, round_.number, {**PROPOSE_DEFAULTS, **round_.options})
    claimed = Round.objects.filter(pk=round_.pk, round_job=round_.round_job_id).update(
        round_job=job, round_started=True
    )
    if not claimed:  # another request retried it first
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
        "progress_text": progress_text(job),
        "error": job.error_message,
    }


def progress_text(job: Job) -> str:
    """How far a running job is, e.g. "45 % · epoch 6/12: loss 0.61"; "" once it ended."""
    if job.phase in (Phase.PENDING, Phase.QUEUED):
        return "waiting for a worker"
    if job.phase != Phase.EXECUTING:
        return ""
    done = f"{100 * job.progress:.0f} %" if job.progress is not None else "started"
    return f"{done} · {job.progress_message}" if job.progress_message else done


def status(round_: Round) -> dict:
    """What the round is doing, for the pages (JSON-ready); never raises for lost jobs.

    ``failed`` is "" or the sentence saying why the round cannot finish (see retry_round).
    ``validation_note`` says why there is no validation number (too few labels);
    ``pool_check`` is the accuracy on randomly drawn pool spectra (None: no check offered);
    ``warning`` is "" or the sentence saying the model looks collapsed to one class.
    ``cold_start`` is true for a round without training (see :func:`propose_round`), and
    ``proposed_by`` then says how its spectra were chosen ("" otherwise).
    """
    not_started = ""
    try:
        round_ = advance(round_)
    except LoopError as exc:  # e.g. too many jobs: said on the page, tried again next look
        not_started = str(exc)
    ready = round_.round_job is not None and round_.round_job.phase == Phase.COMPLETED
    return {
        "number": round_.number,
        "n_labels": round_.n_labels,
        "cold_start": is_cold_start(round_),
        "proposed_by": proposed_by(round_),
        "train": job_state(round_.train_job),
        "round": job_state(round_.round_job),
        "ready": ready,
        "failed": failure(round_) or not_started,
        "metrics": round_.metrics,
        "validation": validation.summary(round_.metrics),
        # accuracy on spectra drawn at random from the pool: shown before "validation"
        "pool_check": validation.pool_check(round_),
        "validation_note": validation.note(round_.metrics),
        "warning": validation.warning(
            round_.metrics, validation.pool_collapse(round_.round_job) if ready else None
        ),
    }
