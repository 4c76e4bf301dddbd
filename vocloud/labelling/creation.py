"""Make a labelling session: from the portal's form and from the JSON API alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction

from services.demo.labels import LabelsError, read_labels
from services.storage import user_space
from services.storage.paths import PathEscape
from vocloud.labelling import operations
from vocloud.labelling.models import Session


class SessionRefused(ValueError):
    """The session cannot be made; ``str()`` is the sentence shown to its owner."""


@dataclass
class Created:
    """A new session, how many labels it imported and the import rows it skipped."""

    session: Session
    imported: int = 0
    skipped: list[str] = field(default_factory=list)


def create_session(owner, data: dict) -> Created:
    """Create ``owner``'s session from the cleaned fields of ``SessionForm``.

    Raises
    ------
    SessionRefused
        The import file cannot be read, the name is taken, the labels are refused, or a
        class session ends up with fewer than two classes. Nothing is kept then.
    """
    rows = []
    if data.get("import_file"):
        name = data["import_file"]
        try:
            _columns, rows = read_labels(user_space(settings.DATA_DIR, owner.pk).resolve(name))
        except (LabelsError, PathEscape) as exc:
            raise SessionRefused(f"Cannot import {name}: {exc}") from None
        except OSError:  # its message names the place on the server
            raise SessionRefused(f"Cannot import {name}: no such readable file.") from None
    with transaction.atomic():  # a refusal below undoes the session too
        try:
            with transaction.atomic():
                session = Session.objects.create(
                    owner=owner,
                    name=data["name"],
                    dataset=data["dataset"],
                    schema=data["schema"],
                    target=data["target"],
                    classes=data["classes"],
                    unit=data["unit"],
                )
        except IntegrityError:
            raise SessionRefused(f"You have a session named {data['name']!r} already.") from None
        try:
            imported, skipped = (
                operations.import_labels(session, rows, data["per_class"], seed=0)
                if rows
                else (0, [])
            )
        except operations.LabelError as exc:
            raise SessionRefused(f"Cannot import the labels: {exc}") from None
        if not session.is_numeric and len(session.classes) < 2:
            raise SessionRefused("Give at least two class names (or import labels that have them).")
    return Created(session, imported, skipped)
