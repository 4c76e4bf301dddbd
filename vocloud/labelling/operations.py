"""What an expert does to labels: set, mark, confirm or reject, undo; counts and snapshots.

Every change is saved at once, and each action records the state it replaced
(:class:`LabelChange`), so that undo restores exactly what was there.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from services.datasets import DatasetError, dataset_dir, open_dataset
from services.datasets.store import current_version_dir
from services.demo.labels import write_labels
from services.learning.metrics import true_positive_rates
from services.storage import user_space
from vocloud.labelling.models import Label, LabelChange, Round, Session

FIELDS = ("value", "mark", "verdict", "predicted", "seen")
VERDICTS = ("yes", "no")
# One action labels at most this many spectra: an expert labels a diverse subsample, and a
# lasso around ten thousand points is not one decision. It keeps a request under a second
# (a 200,000-path action took 14-19 s on 2 cores); bigger groups are labelled in parts.
MAX_PATHS = 10_000
MAX_VALUE = 200  # characters of a class name or prediction (Label.value, Label.predicted)
CHUNK = 500  # paths per "IN (...)": some SQLite builds take no more than 32,766 parameters


class LabelError(ValueError):
    """A label request that cannot be applied (shown to the user as is)."""


def _state(label: Label | None) -> dict | None:
    return None if label is None else {f: getattr(label, f) for f in FIELDS}


def check_value(session: Session, value: str) -> str:
    """The label value as stored: a known class name, or a number for numeric sessions."""
    value = value.strip()
    if session.is_numeric:
        try:
            number = float(value)
        except ValueError:
            raise LabelError(f"{value!r} is not a number") from None
        if not np.isfinite(number):
            raise LabelError("the value must be finite")
        return repr(number)
    if value not in session.classes:
        raise LabelError(f"{value!r} is not a class of this session ({', '.join(session.classes)})")
    return value


def apply_body(session: Session, body: object) -> list[str]:
    """Apply one action as the labelling page and the JSON API send it; its paths.

    ``body`` is the request's JSON object: ``paths`` and one of ``value``, ``mark`` or
    ``verdict`` (with ``predicted``), optionally ``round`` and ``shown`` (see :func:`apply`).
    """
    if not isinstance(body, dict):
        raise LabelError("the request body must be a JSON object")
    paths = body.get("paths") or []
    number = body.get("round")
    if number is not None and (type(number) is not int or number < 0):
        raise LabelError("the round is a round number")
    apply(
        session,
        paths,
        value=body.get("value"),
        mark=body.get("mark"),
        verdict=body.get("verdict"),
        predicted=body.get("predicted"),
        round_=session.rounds.filter(number=number).first() if number is not None else None,
        shown=body.get("shown"),
    )
    return paths


def answer(session: Session, paths: list[str]) -> dict:
    """What the page and the API answer after an action: the paths' states, counts and the
    "Am I correct?" rates."""
    return {
        "states": states(session, paths),
        "paths": paths,
        "counts": counts(session),
        "performance": performance(session),
    }


@transaction.atomic
def apply(
    session: Session,
    paths: list[str],
    *,
    value: str | None = None,
    mark: str | None = None,
    verdict: str | None = None,
    predicted: list[str] | None = None,
    round_: Round | None = None,
    shown: list[str] | None = None,
) -> int:
    """Set a label, a mark or a verdict on every path; returns the action number.

    A value clears any mark; a mark ("not_sure", "bad_data") clears the value; "" as mark
    clears marks. A verdict needs ``predicted`` (what the expert was shown, one per path);
    "yes" also makes the prediction the label. Every path must be a spectrum of the
    session's dataset, and one action takes at most :data:`MAX_PATHS` of them.
    ``shown`` names the paths whose spectra were on the expert's screen: the others are
    recorded as given without a view (``Label.seen`` False).
    """
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise LabelError("the paths must be a list of spectrum paths")
    if not paths:
        raise LabelError("select at least one spectrum")
    if len(paths) > MAX_PATHS:
        raise LabelError(f"at most {MAX_PATHS:,} spectra per action, not {len(paths):,}")
    if any(len(p) > 1000 or "\x00" in p for p in paths):
        raise LabelError("a spectrum path is longer than 1,000 characters or holds NUL")
    if sum(x is not None for x in (value, mark, verdict)) != 1:
        raise LabelError("give exactly one of a value, a mark or a verdict")
    if not all(x is None or isinstance(x, str) for x in (value, mark, verdict)):
        raise LabelError("a value, mark or verdict is text")
    if value is not None:
        value = check_value(session, value)
    if mark is not None and mark not in ("", Label.NOT_SURE, Label.BAD_DATA):
        raise LabelError(f"unknown mark {mark!r}")
    predictions: dict[str, str] = {}
    if verdict is not None:
        if verdict not in VERDICTS:
            raise LabelError("a verdict is yes or no")
        if not isinstance(predicted, list) or len(predicted) != len(paths):
            raise LabelError("a verdict needs the prediction shown for every spectrum")
        if any(not isinstance(p, str) or len(p) > MAX_VALUE or "\x00" in p for p in predicted):
            raise LabelError(
                f"a prediction is not text, longer than {MAX_VALUE} characters or holds NUL"
            )
        predictions = dict(zip(paths, predicted, strict=True))
    if shown is None:
        shown = []
    if not isinstance(shown, list) or not all(isinstance(p, str) for p in shown):
        raise LabelError("the shown spectra must be a list of spectrum paths")
    if len(shown) > MAX_PATHS:
        raise LabelError(f"at most {MAX_PATHS:,} shown spectra per action")
    seen = set(shown)
    unique = list(dict.fromkeys(paths))
    check_paths(session, unique)
    existing = {
        label.path: label
        for chunk in _chunks(unique)
        for label in Label.objects.filter(session=session, path__in=chunk)
    }
    action = (LabelChange.objects.filter(session=session).aggregate(m=Max("action"))["m"] or 0) + 1
    LabelChange.objects.bulk_create(
        [
            LabelChange(session=session, action=action, path=p, before=_state(existing.get(p)))
            for p in unique
        ],
        batch_size=CHUNK,
    )
    # The new state depends on the prediction shown and on whether the spectrum was seen
    # only, so existing labels change in one UPDATE per (prediction, seen) instead of one
    # per label (an action may hold 200,000).
    new, by_state = [], {}
    for path in unique:
        key = (predictions.get(path), path in seen)
        if path in existing:
            by_state.setdefault(key, []).append(existing[path].pk)
        else:
            fields = _new_state(session, value, mark, verdict, key[0]) | {"seen": key[1]}
            new.append(Label(session=session, path=path, round=round_, **fields))
    Label.objects.bulk_create(new, batch_size=CHUNK)
    now = timezone.now()
    for (prediction, was_seen), pks in by_state.items():
        fields = _new_state(session, value, mark, verdict, prediction) | {"seen": was_seen}
        if round_ is not None:
            fields["round"] = round_
        for chunk in _chunks(pks):
            Label.objects.filter(pk__in=chunk).update(updated=now, **fields)
    return action


def _new_state(
    session: Session, value: str | None, mark: str | None, verdict: str | None, shown: str | None
) -> dict[str, str]:
    if value is not None:
        return {"value": value, "mark": ""}
    if mark is not None:
        return {"mark": mark, "value": ""} if mark else {"mark": ""}
    fields = {"verdict": verdict, "predicted": shown}
    if verdict == "yes" and not session.is_numeric:
        fields |= {"value": shown, "mark": ""}
    return fields


def _chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# (datasets root, name) -> (version directory, its meta.fits inode and mtime, paths): a
# request checks its paths against a set read once per dataset version, not per request.
_PATHS: OrderedDict[tuple[str, str], tuple[tuple, frozenset[str]]] = OrderedDict()
_PATHS_LOCK = threading.Lock()
_PATHS_KEPT = 4  # datasets per web process (a million paths take ~100 MB)


def dataset_paths(session: Session) -> frozenset[str]:
    """The paths of the spectra in the current version of the session's dataset.

    Raises LabelError when the dataset is gone or unreadable.
    """
    datasets = user_space(settings.DATA_DIR, session.owner_id).datasets
    try:
        version = current_version_dir(dataset_dir(datasets, session.dataset))
        meta = (version / "meta.fits").stat()
    except (DatasetError, OSError):
        raise LabelError(f"the dataset {session.dataset} of this session is gone") from None
    key = (str(datasets), session.dataset)
    # The inode and mtime too: a dataset deleted and made again starts again at v1.
    stamp = (str(version), meta.st_ino, meta.st_mtime_ns)
    with _PATHS_LOCK:
        cached = _PATHS.get(key)
        if cached is not None and cached[0] == stamp:
            _PATHS.move_to_end(key)
            return cached[1]
    try:
        paths = frozenset(str(p) for p in open_dataset(version).meta["path"])
    except (DatasetError, OSError, KeyError, ValueError):
        raise LabelError(f"the dataset {session.dataset} of this session is unreadable") from None
    with _PATHS_LOCK:
        _PATHS[key] = (stamp, paths)
        _PATHS.move_to_end(key)
        while len(_PATHS) > _PATHS_KEPT:
            _PATHS.popitem(last=False)
    return paths


def check_paths(session: Session, paths: list[str]) -> None:
    """Raise LabelError unless every path is a spectrum of the session's dataset."""
    known = dataset_paths(session)
    unknown = [p for p in paths if p not in known]
    if unknown:
        many = "spectrum is" if len(unknown) == 1 else "spectra are"
        raise LabelError(
            f"{len(unknown):,} {many} not in the dataset {session.dataset} "
            f"(the first: {unknown[0][:200]!r})"
        )


@transaction.atomic
def undo(session: Session) -> list[str]:
    """Revert the session's last action; returns the paths it touched (empty: nothing)."""
    last = LabelChange.objects.filter(session=session).aggregate(m=Max("action"))["m"]
    if last is None:
        return []
    changes = list(LabelChange.objects.filter(session=session, action=last))
    labels = Label.objects.filter(session=session)
    created = [c.path for c in changes if c.before is None]
    for chunk in _chunks(created):
        labels.filter(path__in=chunk).delete()
    # Few distinct states came before (a class, a mark...): one UPDATE per state and chunk.
    by_state: dict[str, list[str]] = {}
    for c in changes:
        if c.before is not None:
            by_state.setdefault(json.dumps(c.before, sort_keys=True), []).append(c.path)
    for state, paths in by_state.items():
        # "seen" came after the first changes were recorded: theirs is unknown (None)
        fields = {f: json.loads(state).get(f) for f in FIELDS}
        for chunk in _chunks(paths):
            found = set(labels.filter(path__in=chunk).values_list("path", flat=True))
            labels.filter(path__in=chunk).update(**fields)
            # gone meanwhile (not by an action of this session's history): made again
            Label.objects.bulk_create(
                [Label(session=session, path=p, **fields) for p in chunk if p not in found]
            )
    LabelChange.objects.filter(session=session, action=last).delete()
    return [c.path for c in changes]


def states(session: Session, paths: list[str] | None = None) -> dict[str, dict]:
    """path -> {value, mark, verdict, predicted} for labelled spectra (all, or ``paths``)."""
    query = Label.objects.filter(session=session)
    if paths is None:
        return {row["path"]: row for row in query.values("path", *FIELDS)}
    if len(paths) > 20 * CHUNK:  # a whole sample: one query, not hundreds of "IN (...)"
        wanted = set(paths)
        return {row["path"]: row for row in query.values("path", *FIELDS) if row["path"] in wanted}
    return {
        row["path"]: row
        for chunk in _chunks(list(dict.fromkeys(paths)))
        for row in query.filter(path__in=chunk).values("path", *FIELDS)
    }


def counts(session: Session) -> dict:
    """Labels per class (or numbers), marks and verdicts.

    ``unseen`` counts the labels given in bulk, on spectra that were not on the screen;
    ``unseen_verdicts`` the verdicts that :func:`performance` leaves out for that reason.
    """
    rows = Label.objects.filter(session=session).values_list("value", "mark", "verdict", "seen")
    values, marks, verdicts = Counter(), Counter(), Counter()
    unseen = unseen_verdicts = 0
    for value, mark, verdict, seen in rows:
        if value:
            values["number" if session.is_numeric else value] += 1
            unseen += seen is False and not mark
        if mark:
            marks[mark] += 1
        if verdict:
            verdicts[verdict] += 1
            unseen_verdicts += seen is not True
    per_class = (
        {"number": values["number"]}
        if session.is_numeric
        else {name: values[name] for name in session.classes}
    )
    return {
        "labels": per_class,
        "total": sum(values.values()),
        "not_sure": marks[Label.NOT_SURE],
        "bad_data": marks[Label.BAD_DATA],
        "verdicts": {"yes": verdicts["yes"], "no": verdicts["no"]},
        "unseen": unseen,
        "unseen_verdicts": unseen_verdicts,
    }


def performance(session: Session, confidence: float = 0.95) -> list[dict]:
    """'Am I correct?': per predicted class, the share the expert confirmed (exact interval).

    Only verdicts given on a spectrum the expert was shown count: a verdict given in bulk,
    on spectra nobody looked at, says nothing about the model.
    """
    rows = list(
        Label.objects.filter(session=session, seen=True)
        .exclude(verdict="")
        .values_list("predicted", "verdict")
    )
    if not rows:
        return []
    predicted = np.array([p for p, _ in rows])
    truth = np.array([p if v == "yes" else f"not {p}" for p, v in rows])
    return true_positive_rates(predicted, truth, sorted(set(predicted)), confidence)


def snapshot_folder(session: Session) -> str:
    """Where the session's label snapshots live, relative to the owner's files/."""
    return f"labelling/session-{session.pk}"


def write_snapshot(session: Session, name: str, *, with_marks: bool = False) -> tuple[str, int]:
    """Freeze the session's labels into a snapshot CSV; returns (path, number of labels).

    Only real labels are counted and carry the target column: spectra marked "not sure" or
    "bad data" are left out, unless ``with_marks``; then they come too, with an empty target
    and their mark in a ``mark`` column (``marked`` when the target is called so), so that
    a cold-start round does not propose them again (jobs reading the target skip them).
    """
    space = user_space(settings.DATA_DIR, session.owner_id)
    relative = f"{snapshot_folder(session)}/{name}"
    rows = [
        {"path": path, session.target: value}
        for path, value in Label.objects.filter(session=session, mark="")
        .exclude(value="")
        .order_by("path")
        .values_list("path", "value")
    ]
    n_labels = len(rows)
    columns = [session.target]
    if with_marks:
        mark_column = "marked" if session.target.lower() == "mark" else "mark"
        columns.append(mark_column)
        rows += [
            {"path": path, mark_column: mark}
            for path, mark in Label.objects.filter(session=session)
            .exclude(mark="")
            .order_by("path")
            .values_list("path", "mark")
        ]
    target = space.files / relative
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    write_labels(target, rows, columns)
    return relative, n_labels


@transaction.atomic
def import_labels(
    session: Session, rows: list[dict[str, str]], per_class: int, seed: int
) -> tuple[int, list[str]]:
    """Take labels from a snapshot's rows: at most ``per_class`` per class (all: 0), seeded.

    Rows whose spectrum is not in the session's dataset are skipped (the same rule as for
    :func:`apply`); classes met in the other rows are added to the session's classes.
    Returns the number of labels taken and the paths skipped.
    """
    rng = np.random.default_rng(seed)
    known = dataset_paths(session)
    skipped = [r["path"] for r in rows if r["path"] not in known]
    chosen = [r for r in rows if r["path"] in known and (r.get(session.target) or "").strip()]
    if not session.is_numeric:
        by_class: dict[str, list[dict]] = {}
        for r in chosen:
            by_class.setdefault(r[session.target].strip(), []).append(r)
        if any(len(name) > MAX_VALUE for name in by_class):
            raise LabelError(f"a class name is longer than {MAX_VALUE} characters")
        chosen = []
        for name in sorted(by_class):
            members = by_class[name]
            if per_class and len(members) > per_class:
                members = [members[i] for i in sorted(rng.choice(len(members), per_class, False))]
            chosen.extend(members)
            if name not in session.classes:
                session.classes.append(name)
        session.save(update_fields=["classes"])
    elif per_class:
        chosen = [
            chosen[i] for i in sorted(rng.choice(len(chosen), min(per_class, len(chosen)), False))
        ]
    labels = [
        Label(session=session, path=r["path"], value=check_value(session, r[session.target]))
        for r in chosen
    ]
    Label.objects.bulk_create(
        labels,
        batch_size=CHUNK,
        update_conflicts=True,
        unique_fields=["session", "path"],
        update_fields=["value", "mark", "updated"],
    )
    return len(chosen), skipped
