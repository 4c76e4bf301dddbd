"""A user's files as the JSON API reads and writes them, through the file manager's code.

Uploads take the portal's path (``vocloud.files.operations.upload``: staging, quota,
all or nothing); what is new here is a raw request body as the uploaded file, a body
that is cut off as soon as it passes the single-file limit, and ``overwrite``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

from services.storage import browsing
from services.storage import manager as storage
from services.storage.intake import Upload
from services.storage.listing import human_size
from services.storage.paths import clean_relative
from services.storage.quota import forget_usage
from vocloud.files import operations

READ_BYTES = 256 * 1024


class TooBig(storage.StorageError):
    """A body over the single-upload limit or the free quota (HTTP 413); nothing is kept."""


class Exists(storage.StorageError):
    """The path is taken and overwriting was not asked for (HTTP 409)."""


class RawBody:
    """A request body as ``services.storage.intake`` reads an uploaded file."""

    def __init__(self, read: Callable[[int], bytes], size: int, name: str, limit: int) -> None:
        self._read, self.size, self._name, self.limit = read, size, name, limit

    def chunks(self) -> Iterator[bytes]:
        received = 0
        while received < self.size:
            block = self._read(min(READ_BYTES, self.size - received))
            if not block:
                raise storage.StorageError("Upload refused: the body ended before its length.")
            received += len(block)
            if received > self.limit:
                raise TooBig(_too_big(self._name, self.limit))
            yield block


def _too_big(name: str, limit: int) -> str:
    return f"Upload refused: {name} is bigger than the {human_size(limit)} allowed for one file."


def listing(user, relative: str, params) -> dict:
    """One page of a folder as JSON: the portal's paging, sorting and filter parameters."""
    space = operations.space_for(user)
    folder = storage.existing(space, relative, folder=True)
    current = storage.relative_path(space, folder)
    query, notes = browsing.parse_query(params)
    page = browsing.folder_page(folder, current, query)
    return {
        "path": current,
        "items": [
            {
                "name": item.name,
                "path": item.path,
                "type": "folder" if item.is_dir else "file",
                "kind": item.kind,
                "size": item.size,
                "modified": item.modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for item in page.items
        ],
        "page": page.query.page,
        "per_page": page.query.per_page,
        "n_pages": page.n_pages,
        "n_matching": page.n_matching,
        "n_entries": page.n_entries,
        "notes": notes,
    }


def put_file(user, relative: str, body: RawBody, *, overwrite: bool) -> dict:
    """Store ``body`` at ``relative`` (missing folders are made); the stored path and size.

    Raises
    ------
    PathEscape
        For a path that would leave the user's files.
    TooBig, QuotaExceeded, Exists, StorageError
        With the sentence for the user; nothing is stored then.
    """
    clean = clean_relative(relative)
    if clean == PurePosixPath("."):
        raise storage.StorageError("Upload refused: give the file's path.")
    if body.size > body.limit:
        raise TooBig(_too_big(clean.name, body.limit))
    target = operations.space_for(user).resolve(clean.as_posix())
    if target.is_dir():
        raise Exists(f"{clean.as_posix()!r} is a folder.")
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise Exists(f"{clean.as_posix()!r} exists: add overwrite=1 to replace it.")
    operations.page_quota(user).check(body.size, "Upload")
    stored = operations.upload(user, "", [Upload(clean.as_posix(), body)], extract_archives=False)
    space = operations.space_for(user)
    path = space.resolve(stored.paths[0])
    if path != target:  # the name was taken meanwhile: replace it as asked
        os.replace(path, target)
        with storage.content_index(space) as index:
            if index is not None:
                index.forget_paths(clean.as_posix())
        forget_usage(space)
    return {"path": clean.as_posix(), "size": target.stat().st_size}


def make_folders(user, relative: str) -> dict:
    """Make the folder ``relative`` and any missing parents (like ``mkdir -p``)."""
    clean = clean_relative(relative)
    if clean == PurePosixPath("."):
        raise storage.StorageError("Give the folder's path.")
    space = operations.space_for(user)
    created = False
    parent = ""
    for name in clean.parts:
        here = f"{parent}/{name}".lstrip("/")
        path = space.resolve(here)
        if path.is_dir() and not path.is_symlink():
            parent = here
            continue
        if path.exists() or path.is_symlink():
            raise Exists(f"{here!r} is a file.")
        storage.make_folder(space, parent, name)
        created, parent = True, here
    return {"path": clean.as_posix(), "created": created}


def delete(user, relative: str) -> None:
    if clean_relative(relative) == PurePosixPath("."):
        raise storage.StorageError("The top folder itself cannot be deleted.")
    operations.delete(user, [relative])
