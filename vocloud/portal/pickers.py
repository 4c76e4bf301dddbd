"""What a job parameter refers to (a folder, a file, a dataset, an earlier job), the owner's
things a form offers for it, and the check, at submit time, that the one named exists.

Every name a person types becomes a path only through ``UserSpace.resolve`` (files) or
``UserSpace.dataset`` (datasets): the storage's containment; lists come from the owner's
own space and jobs only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from services.datasets.store import current_version_dir, list_datasets, validate_name
from services.jobs.params import ParameterDoc
from services.storage.layout import UserSpace
from services.storage.listing import folders
from services.storage.paths import PathEscape, check_relative, check_relative_list

MAX_CHOICES = 2000
MAX_SCANNED = 50_000  # names looked at for the table picker
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".vot", ".xml", ".ecsv")


@dataclass(frozen=True)
class Role:
    """What a parameter names: ``folders`` (comma-separated, existing), ``folder`` (created
    when missing), ``file`` (an existing table), ``dataset`` (an existing one) or ``job``."""

    name: str
    must_exist: bool = True


def _validators(model: type[BaseModel], field: str) -> set:
    info = model.model_fields[field]
    return {getattr(item, "func", None) for item in info.metadata}


def role_of(model: type[BaseModel], doc: ParameterDoc) -> Role | None:
    """The reference role of a parameter, from its declared type; None for plain values."""
    if doc.kind == "job":
        return Role("job")
    found = _validators(model, doc.field)
    if check_relative_list in found:
        return Role("folders")
    if check_relative in found:
        # TARGET of ingest is a folder it creates; the others name a table to read
        return Role("folder", must_exist=False) if doc.field == "target" else Role("file")
    if validate_name in found and doc.field == "dataset":  # `dataset`'s NAME makes one
        return Role("dataset")
    return None


def folder_choices(space: UserSpace) -> list[str]:
    return [f for f in folders(space, MAX_CHOICES) if f]


def table_choices(space: UserSpace, budget: int = MAX_SCANNED) -> list[str]:
    """The owner's files that could be a label or verdict table, by suffix.

    At most ``budget`` names are looked at: a storage of millions of spectra must not make
    a form slow (a table deeper than that is still accepted when typed).
    """
    base = space.files.resolve()
    found: list[str] = []
    for dirpath, dirs, names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(dirpath, d)))
        budget -= len(names) + len(dirs)
        if budget < 0:
            return found
        for name in sorted(names):
            if name.lower().endswith(TABLE_SUFFIXES):
                found.append(Path(dirpath, name).relative_to(base).as_posix())
                if len(found) >= MAX_CHOICES:
                    return found
    return found


def dataset_choices(space: UserSpace) -> list[str]:
    return [str(info["name"]) for info in list_datasets(space.datasets)][:MAX_CHOICES]


def check(role: Role, value: str, space: UserSpace) -> list[str]:
    """Readable sentences for what ``value`` names but does not exist; [] when all is there."""
    value = value.strip()
    if not value or role.name == "job":
        return []
    if role.name == "dataset":
        try:
            current_version_dir(space.dataset(value))
        except ValueError:  # PathEscape and DatasetError alike
            return [f"You have no dataset called “{value[:80]}”."]
        return []
    items = [v.strip() for v in value.split(",")] if role.name == "folders" else [value]
    problems = []
    for item in items:
        try:
            path = space.resolve(item)
        except PathEscape as exc:
            problems.append(str(exc))
            continue
        if not role.must_exist:
            continue
        if role.name == "file" and not path.is_file():
            problems.append(f"There is no file “{item[:200]}” in your storage.")
        elif role.name == "folders" and not path.exists():
            problems.append(f"There is no folder or file “{item[:200]}” in your storage.")
    return problems
