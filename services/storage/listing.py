"""What a folder of a user's space holds, as the file manager lists it.

Symbolic links are never listed: the platform never creates them, and one that points
outside the storage must not reveal what it points to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.storage.layout import UserSpace

_KINDS = {
    ".fits": "FITS",
    ".fit": "FITS",
    ".fts": "FITS",
    ".vot": "VOTable",
    ".votable": "VOTable",
    ".xml": "XML",
    ".csv": "CSV",
    ".tsv": "TSV",
    ".txt": "text",
    ".dat": "text",
    ".asc": "text",
    ".json": "JSON",
    ".zip": "zip archive",
    ".gz": "gzip",
    ".tgz": "tar archive",
    ".tar": "tar archive",
    ".npy": "NumPy array",
    ".png": "image",
    ".jpg": "image",
}


def human_size(n_bytes: int | float) -> str:
    """``1536`` -> ``"1.5 KB"`` (binary multiples, one decimal, none when whole)."""
    value = float(n_bytes)
    if value < 1024:
        return f"{int(value)} bytes" if value != 1 else "1 byte"
    for unit in ("KB", "MB", "GB", "TB", "PB"):
        value /= 1024
        if value < 1024 or unit == "PB":
            text = f"{value:.1f}"
            return f"{text.removesuffix('.0')} {unit}"
    raise AssertionError("unreachable")


def file_kind(name: str) -> str:
    """A short description of a file's type, from its name."""
    lower = name.lower()
    if lower.endswith((".tar.gz", ".tar.bz2")):
        return "tar archive"
    if lower.endswith((".fits.gz", ".fit.gz")):
        return "FITS (gzip)"
    # The suffix as PurePosixPath gives it (none for ".hidden"), without building a path:
    # a folder of 100,000 files asks this 100,000 times.
    dot = lower.rfind(".")
    return _KINDS.get(lower[dot:] if dot > 0 else "", "file")


@dataclass(frozen=True)
class Item:
    """One row of a listing; ``path`` is relative to the user's ``files/``, with ``/``."""

    name: str
    path: str
    is_dir: bool
    size: int  # bytes; for a folder, the bytes of everything inside it
    modified: datetime
    kind: str

    @property
    def human_size(self) -> str:
        return human_size(self.size)


def list_folder(space: UserSpace, folder: Path) -> list[Item]:
    """Folders first, then files, each sorted by name (case-insensitive).

    Parameters
    ----------
    folder : Path
        A folder inside ``space.files``, already resolved by ``space.resolve``.
    """
    base = space.files.resolve()
    items = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_symlink():
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            stat = entry.stat(follow_symlinks=False)
            items.append(
                Item(
                    name=entry.name,
                    path=Path(entry.path).relative_to(base).as_posix(),
                    is_dir=is_dir,
                    size=tree_size(Path(entry.path)) if is_dir else stat.st_size,
                    modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
                    kind="folder" if is_dir else file_kind(entry.name),
                )
            )
    return sorted(items, key=lambda item: (not item.is_dir, item.name.lower()))


def tree_size(path: Path) -> int:
    """Bytes of the regular files at or under ``path`` (links not followed)."""
    if not path.is_dir() or path.is_symlink():
        return path.lstat().st_size if path.is_file() and not path.is_symlink() else 0
    total = 0
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            full = os.path.join(dirpath, name)
            if not os.path.islink(full):
                total += os.lstat(full).st_size
    return total


def folders(space: UserSpace, limit: int = 2000) -> list[str]:
    """Every folder of the space (``""`` for the top), for "move to" choices."""
    found = [""]
    base = space.files.resolve()
    for dirpath, dirs, _names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(dirpath, d)))
        for name in dirs:
            found.append(Path(dirpath, name).relative_to(base).as_posix())
            if len(found) >= limit:
                return found
    return found


def breadcrumbs(relative: str) -> list[tuple[str, str]]:
    """``"a/b"`` -> ``[("a", "a"), ("b", "a/b")]``: (label, path) of each ancestor."""
    parts = [p for p in relative.split("/") if p]
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]
