"""Uploads into a user's space: many files, whole folders and archives, all or nothing.

Everything is first written to a private staging folder (``scratch/``), archives are
extracted there, the total is checked against the quota, and only then is the tree moved
into ``files/``. A failure at any step removes the staging folder and leaves ``files/``
untouched.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tarfile
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from services.storage.archives import Limits, extract, is_archive
from services.storage.layout import UserSpace
from services.storage.listing import tree_size
from services.storage.manager import StorageError, existing, relative_path
from services.storage.paths import PathEscape, clean_relative, unique_path
from services.storage.quota import Quota, QuotaSpec, admitted, snapshot


class Incoming(Protocol):
    """An uploaded file as a web framework hands it over (Django's UploadedFile fits)."""

    size: int | None

    def chunks(self) -> Iterable[bytes]: ...


@dataclass(frozen=True)
class Upload:
    """One uploaded file and its path relative to the target folder (``"a.fits"``,
    ``"night1/raw/a.fits"`` for a folder upload)."""

    relative: str
    source: Incoming


@dataclass
class Stored:
    """What an upload added: paths relative to ``files/``, and how many archives it unpacked."""

    paths: list[str] = field(default_factory=list)
    archives: int = 0
    renamed: int = 0  # files saved as "name (1)" because the name was taken


def store_uploads(
    space: UserSpace,
    folder: str,
    uploads: list[Upload],
    spec: QuotaSpec | None,
    *,
    extract_archives: bool = False,
    limits: Limits | None = None,
) -> Stored:
    """Store ``uploads`` under ``folder``; archives are unpacked if ``extract_archives``.

    Raises
    ------
    QuotaExceeded
        If the files (or what the archives hold) do not fit; nothing is written.
    ArchiveError
        For an unsafe or corrupt archive, or a zip bomb; nothing is written.
    StorageError
        For an unsafe relative path or a clash between a file and a folder name.
    """
    dest = existing(space, folder, folder=True)
    targets = [(_clean(upload.relative), upload) for upload in uploads]
    quota = snapshot(space, spec)  # early refusals; the final word is admitted()'s
    quota.check(sum(upload.source.size or 0 for upload in uploads), "Upload")
    staging = space.scratch / uuid.uuid4().hex
    try:
        tree = staging / "tree"
        tree.mkdir(parents=True)
        stored = Stored()
        for relative, upload in targets:
            if extract_archives and is_archive(relative.name):
                _unpack(staging, tree, relative, upload, quota, limits or Limits())
                stored.archives += 1
            else:
                _write(unique_path(tree / relative), upload.source)
        action = "Extraction" if stored.archives else "Upload"
        with admitted(space, spec, tree_size(tree), action):
            _merge(space, tree, dest, stored)
        return stored
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _clean(relative: str) -> PurePosixPath:
    try:
        clean = clean_relative(relative)
    except PathEscape as exc:
        raise StorageError(f"Upload refused: unsafe file name {exc}") from None
    if clean == PurePosixPath("."):
        raise StorageError("Upload refused: a file without a name.")
    return clean


def _write(target: Path, source: Incoming) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for chunk in source.chunks():
            out.write(chunk)


def _unpack(
    staging: Path, tree: Path, relative: PurePosixPath, upload: Upload, quota: Quota, limits: Limits
) -> None:
    archive = staging / "archives" / uuid.uuid4().hex / relative.name
    _write(archive, upload.source)
    # The headers' sizes give an honest archive a clear quota message; a lying one is still
    # stopped by the byte count during extraction, capped at the free space.
    quota.check(tree_size(tree) + declared_size(archive), "Extraction")
    room = max(1, quota.free_bytes - tree_size(tree))
    capped = dataclasses.replace(limits, max_total_bytes=min(limits.max_total_bytes, room))
    if room < limits.max_total_bytes:
        capped = dataclasses.replace(capped, total_reason="what your storage quota has free")
    extract(archive, tree / relative.parent, capped)
    archive.unlink()


def declared_size(archive: Path) -> int:
    """Uncompressed bytes the archive's headers announce (0 if they cannot be read)."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                return sum(info.file_size for info in zf.infolist())
        with tarfile.open(archive, "r:*") as tf:
            return sum(member.size for member in tf if member.isfile())
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError):
        return 0  # extraction reports the corruption


def _merge(space: UserSpace, tree: Path, dest: Path, stored: Stored) -> None:
    """Move the staged files into ``dest``; all clashes are checked before anything moves."""
    staged = sorted(
        Path(dirpath, name) for dirpath, _dirs, names in os.walk(tree) for name in names
    )
    for path in staged:
        for parent in path.relative_to(tree).parents:
            existing_parent = dest / parent
            if existing_parent.exists() and not existing_parent.is_dir():
                raise StorageError(f"Upload refused: {parent.as_posix()!r} is a file here.")
            if existing_parent.is_symlink():
                raise StorageError(f"Upload refused: {parent.as_posix()!r} is a link here.")
    for path in staged:
        target = dest / path.relative_to(tree)
        target.parent.mkdir(parents=True, exist_ok=True)
        free = unique_path(target)
        stored.renamed += free != target
        os.replace(path, free)
        stored.paths.append(relative_path(space, free))
