"""Paths given by users, resolved so that they never leave their base directory.

:func:`safe_join` is the one containment point: every user-controlled name (a path typed in
the portal, a UWS parameter, an archive member, an ingest target, a dataset or label file)
becomes a path under a user's storage only through it (via :class:`UserSpace` methods).
Names that come from remote servers are sanitised first (``services.fetch.names``) and
then contained like any other.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Annotated

from pydantic import AfterValidator

MAX_NAME_BYTES = 255  # one file or folder name (what Linux file systems allow)
MAX_PATH_BYTES = 3000  # a whole relative path, well under PATH_MAX with the storage root


class PathEscape(ValueError):
    """A path that would leave the user's storage (``..``, absolute, or via a symlink), or
    one the file system cannot hold (a name over 255 bytes); the message is for the user."""


def clean_relative(relative: str) -> PurePosixPath:
    """A user-given relative path, normalised; refuses absolute paths, ``..``, NUL and
    names too long for the file system.

    Parameters
    ----------
    relative : str
        Path with ``/`` separators, as sent by a browser or found in an archive.
    """
    shown = relative if len(relative) <= 80 else relative[:77] + "..."
    if "\x00" in relative:
        raise PathEscape(f"{shown!r}: NUL in a path")
    if any(ord(char) < 32 or ord(char) == 127 for char in relative):
        raise PathEscape(f"{shown!r}: control characters are not allowed in names")
    text = relative.replace("\\", "/")
    path = PurePosixPath(text)
    if path.is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise PathEscape(f"{shown!r}: absolute paths are not allowed")
    parts = [part for part in path.parts if part not in ("", ".")]
    if ".." in parts:
        raise PathEscape(f"{shown!r}: '..' is not allowed")
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in parts):
        raise PathEscape(f"{shown!r}: a name is longer than {MAX_NAME_BYTES} bytes")
    if len(text.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise PathEscape(f"{shown!r}: the path is longer than {MAX_PATH_BYTES} bytes")
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def safe_join(base: Path, relative: str) -> Path:
    """``base / relative``, guaranteed to stay inside ``base`` even through symlinks.

    Raises
    ------
    PathEscape
        If the path is absolute, contains ``..``, resolves outside ``base`` or is too long.
    """
    clean = clean_relative(relative)
    root = base.resolve()
    target = (root / clean).resolve()
    if target != root and not target.is_relative_to(root):
        shown = relative if len(relative) <= 80 else relative[:77] + "..."
        raise PathEscape(f"{shown!r} leaves the storage")
    return target


def relative_to(base: Path, path: Path) -> str:
    """The path as the user sees it: relative to ``base``, with ``/``."""
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def unique_path(path: Path) -> Path:
    """``path`` or, if taken, ``name (1).ext``, ``name (2).ext``…: nothing is overwritten.

    Raises
    ------
    FileExistsError
        If ten thousand such names are taken.
    """
    if not path.exists() and not path.is_symlink():
        return path
    stem, suffix = (path.name, "") if path.is_dir() else (path.stem, path.suffix)
    for n in range(1, 10_000):
        candidate = path.with_name(f"{stem} ({n}){suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise FileExistsError(f"Too many files called {path.name}.")


def check_relative(relative: str) -> str:
    """``relative`` if it can name something inside a storage (for parameter validation).

    Raises
    ------
    PathEscape
        (a ``ValueError``) for an absolute path, ``..``, NUL or an over-long name.
    """
    clean_relative(relative)
    return relative


def check_relative_list(text: str) -> str:
    """``text`` if each of its comma-separated paths passes :func:`check_relative`."""
    for item in text.split(","):
        check_relative(item.strip())
    return text


# A job parameter naming files in the owner's storage: refused at job creation when it could
# only leave it; the job resolves it through ``UserSpace.resolve`` again when it runs.
StoragePath = Annotated[str, AfterValidator(check_relative)]
StoragePaths = Annotated[str, AfterValidator(check_relative_list)]
