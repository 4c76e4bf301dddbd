"""Paths given by users, resolved so that they never leave their base directory."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


class PathEscape(ValueError):
    """A path that would leave the user's storage (``..``, absolute, or via a symlink)."""


def clean_relative(relative: str) -> PurePosixPath:
    """A user-given relative path, normalised; refuses absolute paths, ``..`` and NUL.

    Parameters
    ----------
    relative : str
        Path with ``/`` separators, as sent by a browser or found in an archive.
    """
    if "\x00" in relative:
        raise PathEscape(f"{relative!r}: NUL in a path")
    text = relative.replace("\\", "/")
    path = PurePosixPath(text)
    if path.is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise PathEscape(f"{relative!r}: absolute paths are not allowed")
    parts = [part for part in path.parts if part not in ("", ".")]
    if ".." in parts:
        raise PathEscape(f"{relative!r}: '..' is not allowed")
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def safe_join(base: Path, relative: str) -> Path:
    """``base / relative``, guaranteed to stay inside ``base`` even through symlinks.

    Raises
    ------
    PathEscape
        If the path is absolute, contains ``..`` or resolves outside ``base``.
    """
    clean = clean_relative(relative)
    root = base.resolve()
    target = (root / clean).resolve()
    if target != root and not target.is_relative_to(root):
        raise PathEscape(f"{relative!r} leaves the storage")
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
