"""Pool checks: "Am I correct?" on spectra drawn at random from a round's unlabelled pool.

The accuracy a round's training job reports is measured on labels that acquisition chose
(or on none at all, early on). A pool check is the honest number: the platform draws spectra
uniformly at random, without replacement, from the round's pool (the dataset's spectra that
are not in the round's label snapshot and not marked bad data), shows each with the round
model's prediction, and the expert says yes, no (or the true class), or skips. Accuracy is
correct / answered with an exact 95 % interval (:func:`estimate`); skips are counted.

The draw is reproducible: one seeded permutation of the pool per round, walked in order
(:func:`draw`); batches of :data:`BATCH` take its next spectra. Pool checks are for class
sessions: a numeric session's model gives a number, whose check would be an error, not a
yes or no (:func:`unavailable` says so).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Container, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from astropy.io.votable import parse_single_table
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from services.datasets import DatasetError, dataset_dir, open_dataset
from services.datasets.store import current_version_dir
from services.jobs import JobFailure
from services.learning.labels import labelled_paths
from services.learning.metrics import proportion_interval
from services.storage import user_space
from services.storage.paths import PathEscape
from vocloud.labelling import operations
from vocloud.labelling.models import Label, LabelChange, PoolCheck, Round
from vocloud.uws import storage
from vocloud.uws.models import Phase

BATCH = 20  # spectra per "check 20 more"
MAX_DRAW = 100  # spectra per draw request
MAX_CHECKS = 2000  # spectra per round's check: enough for an interval of about ±0.02
CONFIDENCE = 0.95
ANSWERS = (PoolCheck.YES, PoolCheck.NO, PoolCheck.SKIP, PoolCheck.BAD_DATA)
SKIPPED = (PoolCheck.SKIP, PoolCheck.BAD_DATA)


class CheckError(ValueError):
    """A pool-check request that cannot be done (one sentence, shown as is); ``status``
    is the HTTP status the API answers it with."""

    def __init__(self, sentence: str, status: int = 400) -> None:
        super().__init__(sentence)
        self.status = status


def unavailable(round_: Round) -> str:
    """Why round ``round_`` offers no pool check, in one sentence; "" when it does.

    Reads no file: cheap enough for every status poll.
    """
    session = round_.session
    if session.is_numeric:
        return (
            "Pool checks are for class sessions: this session's model predicts a number, "
            "not a class to say yes or no to."
        )
    job = round_.round_job
    if (round_.options or {}).get("cold_start") or (job is not None and job.kind != "al-round"):
        return f"Round {round_.number} is a cold start: it has no model to check."
    if job is None or job.phase != Phase.COMPLETED:
        return f"Round {round_.number} has no predictions yet: check it once it is ready."
    return ""


def offered(round_: Round) -> bool:
    """Whether the round's model can be checked now (see :func:`unavailable`)."""
    return not unavailable(round_)


@lru_cache(maxsize=4)
def _from_scores(results_dir: str) -> dict[str, np.ndarray]:
    """The predictions as the al-round job's ``scores.vot`` has them (slow to parse: about
    10 s per 200,000 spectra on 2 cores; read once per process and round)."""
    wanted = ["row", "path", "predicted", "confidence"]
    try:
        table = parse_single_table(f"{results_dir}/scores.vot", columns=wanted).to_table()
    except (OSError, ValueError, IndexError, KeyError):
        raise CheckError("The predictions of this round are unreadable.") from None
    if "predicted" not in table.colnames:
        raise CheckError("This round's model gives no classes to check.")
    return {
        "row": np.asarray(table["row"], dtype=np.int64),
        "path": np.asarray(table["path"]).astype(str),
        "predicted": np.asarray(table["predicted"]).astype(str),
        "confidence": np.asarray(table["confidence"], dtype=np.float64),
    }


@lru_cache(maxsize=4)
def _from_arrays(results_dir: str, model_dir: str, version: str, stamp: int) -> dict | None:
    """The same from the job's ``arrays.npz`` (mean class probabilities, one row per dataset
    row), the model's class names and the dataset's paths: a second, not minutes, for a
    million spectra. None when a part is missing."""
    try:
        with np.load(f"{results_dir}/arrays.npz", allow_pickle=False) as arrays:
            probs = np.asarray(arrays["probs"], dtype=np.float64)
        head = json.loads(Path(model_dir, "model.json").read_text(encoding="utf-8"))["head"]
        names = np.array([str(n) for n in head["names"]])
        paths = np.asarray(open_dataset(Path(version)).meta["path"]).astype(str)
    except (OSError, ValueError, KeyError, TypeError, DatasetError):
        return None
    if probs.ndim != 2 or probs.shape != (paths.size, names.size):
        return None
    return {
        "row": np.arange(paths.size),
        "path": paths,
        "predicted": names[probs.argmax(axis=1)],
        "confidence": probs.max(axis=1),
    }


def predictions(round_: Round) -> dict[str, np.ndarray]:
    """The round model's prediction for every spectrum of the dataset.

    Returns ``row``, ``path``, ``predicted``, ``confidence`` (one per spectrum). Read from
    the job's arrays when the dataset has not changed since the job started, else from its
    ``scores`` table. Raises CheckError when the round offers no check or its scores are
    unreadable.
    """
    why = unavailable(round_)
    if why:
        raise CheckError(why)
    job, train = round_.round_job, round_.train_job
    results = str(storage.results_dir(job.job_id))
    space = user_space(settings.DATA_DIR, round_.session.owner_id)
    try:
        version = current_version_dir(dataset_dir(space.datasets, round_.session.dataset))
        stamp = (version / "meta.fits").stat().st_mtime_ns
    except (DatasetError, OSError):
        version, stamp = None, None
    # a dataset version older than the job's start is the one the job scored
    began = job.start_time.timestamp() * 1e9 if job.start_time else None
    if train is not None and version is not None and began is not None and stamp < began:
        found = _from_arrays(results, str(storage.results_dir(train.job_id)), str(version), stamp)
        if found is not None:
            return found
    return _from_scores(results)


def pool(round_: Round, scores: dict[str, np.ndarray]) -> np.ndarray:
    """Indices into ``scores`` of the round's pool: the spectra its label snapshot leaves
    unlabelled (the same pool the round's acquisition chose from)."""
    space = user_space(settings.DATA_DIR, round_.session.owner_id)
    try:
        labelled = labelled_paths(space.resolve(round_.snapshot))
    except (JobFailure, PathEscape, OSError):
        raise CheckError(
            f"The label snapshot of round {round_.number} is gone: its pool is not known."
        ) from None
    return np.flatnonzero([p not in labelled for p in scores["path"]])


def draw(candidates: np.ndarray, k: int, seed: Sequence[int], taken: Container[int]) -> list[int]:
    """The next ``k`` of ``candidates`` in a seeded random order, leaving out ``taken``.

    The order is one permutation of ``candidates`` per ``seed``: drawing 20 and then 20 more
    gives the same 40 as drawing 40, and every candidate not taken is equally likely to come
    next (a uniform draw without replacement).
    """
    order = np.random.default_rng(list(seed)).permutation(np.asarray(candidates, dtype=np.int64))
    chosen: list[int] = []
    for index in order.tolist():
        if len(chosen) == k:
            break
        if index not in taken:
            chosen.append(index)
    return chosen


class _Taken:
    """Rows whose path is in ``gone`` (drawn before, or marked bad data), as a container:
    :func:`draw` looks up only the rows it walks past, not the whole pool."""

    def __init__(self, paths: np.ndarray, gone: set[str]) -> None:
        self.paths, self.gone = paths, gone

    def __contains__(self, index: object) -> bool:
        return str(self.paths[index]) in self.gone


def seed(round_: Round) -> tuple[int, int]:
    """The seed of a round's draw: the same session and round always draw the same order."""
    return (round_.session_id, round_.number)


def draw_more(round_: Round, k: int = BATCH) -> list[PoolCheck]:
    """Draw ``k`` more spectra from the round's pool for the expert to check."""
    if type(k) is not int or not 1 <= k <= MAX_DRAW:
        raise CheckError(f"Draw between 1 and {MAX_DRAW} spectra at a time.")
    scores = predictions(round_)
    candidates = pool(round_, scores)
    with transaction.atomic():
        drawn = set(round_.pool_checks.values_list("path", flat=True))
        if len(drawn) + k > MAX_CHECKS:
            raise CheckError(f"A round's check takes at most {MAX_CHECKS} spectra.", 409)
        bad = set(
            Label.objects.filter(session=round_.session, mark=Label.BAD_DATA).values_list(
                "path", flat=True
            )
        )
        paths = scores["path"]
        chosen = draw(candidates, k, seed(round_), _Taken(paths, drawn | bad))
        if not chosen:
            raise CheckError("Every spectrum of this round's pool has been drawn.", 409)
        last = round_.pool_checks.aggregate(m=Max("order"))["m"]
        start = 0 if last is None else last + 1
        made = [
            PoolCheck(
                session=round_.session,
                round=round_,
                order=start + i,
                path=str(paths[index]),
                row=int(scores["row"][index]),
                predicted=str(scores["predicted"][index]),
                probability=_finite(scores["confidence"][index]),
            )
            for i, index in enumerate(chosen)
        ]
        try:
            with transaction.atomic():
                PoolCheck.objects.bulk_create(made)
        except IntegrityError:
            raise CheckError("Another draw came at the same moment: look again.", 409) from None
    return made


def answer(
    round_: Round,
    path: object,
    given: object,
    truth: object = None,
    label: object = False,
) -> PoolCheck:
    """Record the expert's answer on a drawn spectrum; with ``label``, it becomes a label.

    Parameters
    ----------
    path : str
        A spectrum drawn for this round's check (others are refused).
    given : {"yes", "no", "skip", "bad_data"}
        Whether the prediction is correct, or why there is no answer.
    truth : str, optional
        The true class (a class button): "yes" when it is the prediction, else "no".
    label : bool
        Also make a "yes" or a true class the spectrum's label in the session (and
        "bad_data" its mark), through the labelling page's own action (undone with it).
    """
    if not isinstance(path, str) or not path or len(path) > 1000:
        raise CheckError("Give the path of a drawn spectrum.")
    if given not in ANSWERS:
        raise CheckError("An answer is yes, no, skip or bad_data.")
    if type(label) is not bool:
        raise CheckError("label is true or false.")
    check = round_.pool_checks.filter(path=path).first()
    if check is None:
        raise CheckError("This spectrum was not drawn for this round's check.")
    if truth is not None:
        session = round_.session
        if not isinstance(truth, str) or truth not in session.classes:
            raise CheckError("The true class must be one of the session's classes.")
        if given in SKIPPED:
            raise CheckError("A skipped spectrum has no true class.")
        if (given == PoolCheck.YES) != (truth == check.predicted):
            raise CheckError("The true class and the answer disagree.")
    elif given == PoolCheck.YES:
        truth = check.predicted
    action = None
    if label:
        action = _label(round_, check, given, truth or "")
    check.answer, check.truth, check.answered = given, truth or "", timezone.now()
    check.action = action
    check.save(update_fields=["answer", "truth", "answered", "action"])
    return check


def _label(round_: Round, check: PoolCheck, given: str, truth: str) -> int | None:
    """Make the answer the spectrum's label (or bad-data mark); the action number."""
    fields: dict[str, str] = {}
    if given == PoolCheck.BAD_DATA:
        fields["mark"] = Label.BAD_DATA
    elif truth:
        fields["value"] = truth
    else:
        return None  # a bare "no" or a skip says nothing to label with
    try:
        return operations.apply(
            round_.session, [check.path], round_=round_, shown=[check.path], **fields
        )
    except operations.LabelError as exc:
        raise CheckError(f"The answer could not become a label: {exc}.") from None


@transaction.atomic
def undo(round_: Round) -> str:
    """Take back the last answer of the round's check; a sentence saying what was undone."""
    last = round_.pool_checks.exclude(answered=None).order_by("-answered", "-pk").first()
    if last is None:
        return "Nothing to undo."
    said = f"Undone: your answer on {last.path}"
    if last.action is not None:
        newest = LabelChange.objects.filter(session=round_.session).aggregate(m=Max("action"))
        if newest["m"] == last.action:
            operations.undo(round_.session)
            said += " and the label it gave"
        else:
            said += " (the label it gave stays: labels were given after it)"
    last.answer, last.truth, last.answered, last.action = "", "", None, None
    last.save(update_fields=["answer", "truth", "answered", "action"])
    return said + "."


def estimate(round_: Round) -> dict:
    """Accuracy of the round's model on its check: correct / answered, 95 % exact interval.

    Returns ``{"value", "low", "high", "n", "correct", "skipped", "drawn", "pending"}``;
    ``value``, ``low`` and ``high`` are None before the first yes or no.
    """
    found = Counter(round_.pool_checks.values_list("answer", flat=True))
    correct, n = found[PoolCheck.YES], found[PoolCheck.YES] + found[PoolCheck.NO]
    skipped = sum(found[a] for a in SKIPPED)
    low = high = value = None
    if n:
        value = correct / n
        low, high = proportion_interval(correct, n, CONFIDENCE)
    return {
        "value": value,
        "low": low,
        "high": high,
        "n": n,
        "correct": correct,
        "skipped": skipped,
        "drawn": found.total(),
        "pending": found[""],
    }


def item(check: PoolCheck) -> dict:
    """One drawn spectrum as the page and the API show it."""
    return {
        "order": check.order,
        "path": check.path,
        "row": check.row,
        "predicted": check.predicted,
        "probability": check.probability,
        "answer": check.answer,
        "truth": check.truth,
        "labelled": check.action is not None,
    }


def state(round_: Round) -> dict:
    """The round's check for the page and the API: its spectra, the next to answer, and
    the headline (see :func:`vocloud.labelling.validation.pool_check`)."""
    from vocloud.labelling import validation  # validation reads this module's estimate

    why = unavailable(round_)
    checks = [] if why else [item(c) for c in round_.pool_checks.all()]
    pending = [c["order"] for c in checks if not c["answer"]]
    return {
        "round": round_.number,
        "available": not why,
        "reason": why,
        "classes": list(round_.session.classes),
        "batch": BATCH,
        "items": checks,
        "next": pending[0] if pending else None,
        "headline": validation.pool_check(round_),
    }


def spectrum(round_: Round, order: object) -> dict:
    """A drawn spectrum's wavelengths and flux (good pixels), with what was drawn."""
    if type(order) is not int:
        raise CheckError("Give the draw order of a drawn spectrum.")
    check = round_.pool_checks.filter(order=order).first()
    if check is None:
        raise CheckError("No spectrum was drawn at that place.", 404)
    session = round_.session
    space = user_space(settings.DATA_DIR, session.owner_id)
    try:
        dataset = open_dataset(dataset_dir(space.datasets, session.dataset))
        row = check.row
        if row >= dataset.n_spectra or str(dataset.meta["path"][row]) != check.path:
            raise CheckError("This spectrum is no longer in the session's dataset.")
        flux = np.asarray(dataset.flux[row], dtype=np.float64)
        good = ~np.asarray(dataset.mask[row], dtype=bool) & np.isfinite(flux)
        wave = np.asarray(dataset.wave, dtype=np.float64)
    except (DatasetError, OSError, KeyError):
        raise CheckError(f"The dataset {session.dataset} of this session is gone.") from None
    return item(check) | {
        "wave": wave[good].round(3).tolist(),
        "flux": flux[good].round(6).tolist(),
    }


def _finite(value) -> float | None:
    value = float(value)
    return round(value, 4) if np.isfinite(value) else None
