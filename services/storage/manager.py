"""File-manager operations on a user's space: folders, rename, move, copy, delete.

Every path arrives relative to ``files/`` as the user sent it and goes through
:meth:`UserSpace.resolve`; the content index follows renames, moves and deletions.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from services.storage.index import ContentIndex
from services.storage.layout import UserSpace
from services.storage.listing import tree_size
from services.storage.paths import unique_path
from services.storage.quota import QuotaSpec, admitted, forget_usage

MAX_NAME_LENGTH = 255


class StorageError(ValueError):
    """An operation that cannot be done; the message is meant for the user."""


class NoSuchPath(StorageError):
    """The path does not exist in the user's space (or is not what was asked for)."""


def existing(space: UserSpace, relative: str, *, folder: bool | None = None) -> Path:
    """The resolved path of ``relative``, which must exist (as a folder if ``folder``).

    Raises
    ------
    PathEscape
        If ``relative`` leaves the space.
    NoSuchPath
        If nothing (or not the right kind of thing) is there.
    """
    path = space.resolve(relative)
    if not path.exists() or (folder is True and not path.is_dir()):
        raise NoSuchPath(f"{relative!r}: no such folder" if folder else f"{relative!r}: not found")
    if folder is False and path.is_dir():
        raise NoSuchPath(f"{relative!r} is a folder")
    return path


def relative_path(space: UserSpace, path: Path) -> str:
    """``path`` (resolved, inside ``files/``) as the user sees it; ``""`` for the top."""
    rel = path.relative_to(space.files.resolve()).as_posix()
    return "" if rel == "." else rel


def valid_name(name: str) -> str:
    """A single file or folder name, stripped; raises StorageError for anything else."""
    name = name.strip()
    controls = any(ord(char) < 32 or ord(char) == 127 for char in name)
    if not name or name in (".", "..") or "/" in name or "\\" in name or controls:
        raise StorageError(
            f"{name!r} is not a valid name (no slashes or control characters, not empty, not '..')"
        )
    if len(name.encode()) > MAX_NAME_LENGTH:
        raise StorageError(f"The name is longer than {MAX_NAME_LENGTH} bytes.")
    return name


@contextlib.contextmanager
def content_index(space: UserSpace) -> Iterator[ContentIndex | None]:
    """The user's content index if there is one (none is created just to update it)."""
    if not space.index_path.exists():
        yield None
        return
    index = ContentIndex(space.index_path)
    try:
        yield index
    finally:
        index.close()


def make_folder(space: UserSpace, parent: str, name: str) -> str:
    """Create folder ``name`` in ``parent``; return its path."""
    target = existing(space, parent, folder=True) / valid_name(name)
    if target.exists() or target.is_symlink():
        raise StorageError(f"{name!r} already exists here.")
    target.mkdir()
    return relative_path(space, target)


def rename(space: UserSpace, relative: str, new_name: str) -> str:
    """Rename a file or folder in place; return its new path."""
    source = _movable(space, relative)
    target = source.with_name(valid_name(new_name))
    if target == source:
        return relative_path(space, source)
    if target.exists() or target.is_symlink():
        raise StorageError(f"{target.name!r} already exists here.")
    return _relocate(space, source, target)


def move(space: UserSpace, relatives: list[str], folder: str) -> list[str]:
    """Move files and folders into ``folder``; nothing moves unless all can."""
    dest = existing(space, folder, folder=True)
    plan = []
    for relative in relatives:
        source = _movable(space, relative)
        if dest == source or dest.is_relative_to(source):
            raise StorageError(f"{source.name!r} cannot be moved into itself.")
        target = dest / source.name
        if target == source:
            continue
        if target.exists() or target.is_symlink():
            raise StorageError(f"{source.name!r} already exists in the destination folder.")
        plan.append((source, target))
    return [_relocate(space, source, target) for source, target in plan]


def copy(space: UserSpace, relatives: list[str], folder: str, quota: QuotaSpec | None) -> list[str]:
    """Copy files and folders into ``folder`` (``name (1)`` on a clash), within the quota."""
    dest = existing(space, folder, folder=True)
    sources = [_movable(space, relative) for relative in relatives]
    for source in sources:
        if source.is_dir() and dest.is_relative_to(source):
            raise StorageError(f"{source.name!r} cannot be copied into itself.")
    done: list[Path] = []
    with admitted(space, quota, sum(tree_size(source) for source in sources), "Copy"):
        try:
            for source in sources:
                target = unique_path(dest / source.name)
                done.append(target)
                if source.is_dir():
                    shutil.copytree(source, target, ignore=_links)
                else:
                    shutil.copy2(source, target)
        except OSError:
            for target in done:
                _remove(target)
            raise
    return [relative_path(space, target) for target in done]


def delete(space: UserSpace, relatives: list[str]) -> int:
    """Delete files and folders (with everything inside); return how many were given."""
    paths = [_movable(space, relative) for relative in relatives]
    with content_index(space) as index:
        for path in paths:
            relative = relative_path(space, path)
            _remove(path)
            if index is not None:
                index.forget_paths(relative)
    forget_usage(space)
    return len(paths)


def _movable(space: UserSpace, relative: str) -> Path:
    path = existing(space, relative)
    if path == space.files.resolve():
        raise StorageError("The top folder itself cannot be renamed, moved or deleted.")
    return path


def _relocate(space: UserSpace, source: Path, target: Path) -> str:
    old, new = relative_path(space, source), relative_path(space, target)
    os.rename(source, target)
    with content_index(space) as index:
        if index is not None:
            index.move_paths(old, new)
    return new


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _links(directory: str, names: list[str]) -> list[str]:
    """copytree's ``ignore``: links are not copied (they could point anywhere)."""
    return [name for name in names if os.path.islink(os.path.join(directory, name))]
