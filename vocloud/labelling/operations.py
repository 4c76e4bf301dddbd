"""What an expert does to labels: set, mark, confirm or reject, undo; counts and snapshots.

Every change is saved at once, and each action records the state it replaced
(:class:`LabelChange`), so that undo restores exactly what was there.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from services.demo.labels import write_labels
from services.learning.metrics import true_positive_rates
from services.storage import user_space
from vocloud.labelling.models import Label, LabelChange, Round, Session

FIELDS = ("value", "mark", "verdict", "predicted")
VERDICTS = ("yes", "no")
MAX_PATHS = 200_000


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
) -> int:
    """Set a label, a mark or a verdict on every path; returns the action number.

    A value clears any mark; a mark ("not_sure", "bad_data") clears the value; "" as mark
    clears marks. A verdict needs ``predicted`` (what the expert was shown, one per path);
    "yes" also makes the prediction the label.
    """
    if not paths:
        raise LabelError("select at least one spectrum")
    if len(paths) > MAX_PATHS:
        raise LabelError(f"at most {MAX_PATHS} spectra per action")
    if any(len(p) > 1000 or "\x00" in p for p in paths):
        raise LabelError("a spectrum path is longer than 1,000 characters or holds NUL")
    if sum(x is not None for x in (value, mark, verdict)) != 1:
        raise LabelError("give exactly one of a value, a mark or a verdict")
    if value is not None:
        value = check_value(session, value)
    if mark is not None and mark not in ("", Label.NOT_SURE, Label.BAD_DATA):
        raise LabelError(f"unknown mark {mark!r}")
    if verdict is not None:
        if verdict not in VERDICTS:
            raise LabelError("a verdict is yes or no")
        if predicted is None or len(predicted) != len(paths):
            raise LabelError("a verdict needs the prediction shown for every spectrum")
        predicted = [str(p) for p in predicted]
        if any(len(p) > 200 or "\x00" in p for p in predicted):
            raise LabelError("a prediction is longer than 200 characters or holds NUL")
    existing = {lab.path: lab for lab in Label.objects.filter(session=session, path__in=paths)}
    action = (LabelChange.objects.filter(session=session).aggregate(m=Max("action"))["m"] or 0) + 1
    changes = []
    for i, path in enumerate(dict.fromkeys(paths)):
        label = existing.get(path)
        changes.append(LabelChange(session=session, action=action, path=path, before=_state(label)))
        label = label or Label(session=session, path=path)
        if value is not None:
            label.value, label.mark = value, ""
        elif mark is not None:
            label.mark = mark
            if mark:
                label.value = ""
        else:
            label.verdict, label.predicted = verdict, predicted[i]
            if verdict == "yes" and not session.is_numeric:
                label.value, label.mark = predicted[i], ""
        label.round = round_ or label.round
        label.save()
    LabelChange.objects.bulk_create(changes)
    return action


@transaction.atomic
def undo(session: Session) -> list[str]:
    """Revert the session's last action; returns the paths it touched (empty: nothing)."""
    last = LabelChange.objects.filter(session=session).aggregate(m=Max("action"))["m"]
    if last is None:
        return []
    changes = list(LabelChange.objects.filter(session=session, action=last))
    for change in changes:
        if change.before is None:
            Label.objects.filter(session=session, path=change.path).delete()
        else:
            Label.objects.update_or_create(
                session=session, path=change.path, defaults=change.before
            )
    LabelChange.objects.filter(session=session, action=last).delete()
    return [c.path for c in changes]


def states(session: Session, paths: list[str] | None = None) -> dict[str, dict]:
    """path -> {value, mark, verdict, predicted} for labelled spectra (all, or ``paths``)."""
    query = Label.objects.filter(session=session)
    if paths is not None:
        query = query.filter(path__in=paths)
    return {row["path"]: row for row in query.values("path", *FIELDS)}


def counts(session: Session) -> dict:
    """Labels per class (or numbers), marks and verdicts."""
    rows = Label.objects.filter(session=session).values_list("value", "mark", "verdict")
    values, marks, verdicts = Counter(), Counter(), Counter()
    for value, mark, verdict in rows:
        if value:
            values["number" if session.is_numeric else value] += 1
        if mark:
            marks[mark] += 1
        if verdict:
            verdicts[verdict] += 1
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
    }


def performance(session: Session, confidence: float = 0.95) -> list[dict]:
    """'Am I correct?': per predicted class, the share the expert confirmed (exact interval)."""
    rows = list(
        Label.objects.filter(session=session)
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


def write_snapshot(session: Session, name: str) -> tuple[str, int]:
    """Freeze the session's labels into a snapshot CSV; returns (path, number of labels).

    Only real labels go in: spectra marked "not sure" or "bad data" are left out.
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
    target = space.files / relative
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    write_labels(target, rows, [session.target])
    return relative, len(rows)


@transaction.atomic
def import_labels(session: Session, rows: list[dict[str, str]], per_class: int, seed: int) -> int:
    """Take labels from a snapshot's rows: at most ``per_class`` per class (all: 0), seeded.

    Classes met in the rows are added to the session's classes.
    """
    rng = np.random.default_rng(seed)
    chosen = [r for r in rows if (r.get(session.target) or "").strip()]
    if not session.is_numeric:
        by_class: dict[str, list[dict]] = {}
        for r in chosen:
            by_class.setdefault(r[session.target].strip(), []).append(r)
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
    for r in chosen:
        value = check_value(session, r[session.target])
        Label.objects.update_or_create(
            session=session, path=r["path"], defaults={"value": value, "mark": ""}
        )
    return len(chosen)
