"""Resumable uploads of large files, in chunks, into a user's scratch space.

A browser starts an upload (target folder, path, size), gets an id and sends the bytes in
order, one chunk of at most :data:`CHUNK_BYTES` per request, each saying at which offset it
starts. After a broken connection it asks how many bytes arrived and goes on from there.
The partial file lives in ``scratch/chunked/<id>/`` of the uploader's own space, so an id
of another user's upload names nothing. Every chunk is checked against the declared size
and the quota (everything still pending counts) before a byte is written; once the last
byte is in, the file goes through the same intake as a form upload
(:func:`services.storage.intake.store_uploads`), which checks the quota once more.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from services.storage.layout import UserSpace
from services.storage.listing import human_size
from services.storage.manager import NoSuchPath, StorageError, existing
from services.storage.paths import PathEscape, clean_relative, safe_join
from services.storage.quota import Quota

CHUNK_BYTES = 8 * 1024**2
MAX_PENDING = 32  # unfinished uploads a user may hold at once
STALE_S = 24 * 3600.0  # an upload untouched this long is dropped
_ID = re.compile(r"[0-9a-f]{32}")
_READ_BYTES = 1024**2


class ChunkConflict(StorageError):
    """A chunk that does not start where the received bytes end; ``received`` says where."""

    def __init__(self, message: str, received: int) -> None:
        super().__init__(message)
        self.received = received


@dataclass(frozen=True)
class PendingUpload:
    """An unfinished upload: where it goes and how big it is (bytes)."""

    upload_id: str
    folder: str  # relative to files/, as the user gave it
    relative: str  # the file's path inside ``folder`` (a folder upload keeps its tree)
    size: int
    extract: bool
    received: int = 0

    @property
    def done(self) -> bool:
        return self.received >= self.size


def _home(space: UserSpace) -> Path:
    return space.scratch / "chunked"


def _directory(space: UserSpace, upload_id: str) -> Path:
    if not isinstance(upload_id, str) or not _ID.fullmatch(upload_id):
        raise NoSuchPath("No such upload.")
    try:
        return safe_join(_home(space), upload_id)
    except PathEscape:
        raise NoSuchPath("No such upload.") from None


def start(
    space: UserSpace,
    folder: str,
    relative: str,
    size: int,
    *,
    quota: Quota | None,
    max_file_bytes: int,
    extract: bool = False,
) -> PendingUpload:
    """Open an upload of ``size`` bytes to ``folder/relative``.

    Raises
    ------
    NoSuchPath, PathEscape
        If ``folder`` is not a folder of the space.
    StorageError
        For an unsafe ``relative``, a bad size, too many pending uploads.
    QuotaExceeded
        If ``size`` (with what is pending) does not fit.
    """
    existing(space, folder, folder=True)
    try:
        clean = clean_relative(relative)
    except PathEscape as exc:
        raise StorageError(f"Upload refused: unsafe file name {exc}") from None
    if clean.as_posix() == ".":
        raise StorageError("Upload refused: a file without a name.")
    if size < 0:
        raise StorageError("Upload refused: the size must be a number of bytes.")
    if size > max_file_bytes:
        raise StorageError(
            f"Upload refused: {clean.name} is bigger than the {human_size(max_file_bytes)} "
            "allowed for one file."
        )
    pending = _drop_stale(space)
    if len(pending) >= MAX_PENDING:
        raise StorageError(
            f"Upload refused: {MAX_PENDING} uploads are already unfinished; finish or wait."
        )
    if quota is not None:
        quota.check(size + sum(p.size - p.received for p in pending), "Upload")
    upload = PendingUpload(uuid.uuid4().hex, folder, clean.as_posix(), size, bool(extract))
    directory = _directory(space, upload.upload_id)
    directory.mkdir(parents=True)
    (directory / "data").touch()
    (directory / "meta.json").write_text(json.dumps(asdict(upload)))
    return upload


def status(space: UserSpace, upload_id: str) -> PendingUpload:
    """The upload with the bytes received so far; NoSuchPath for an unknown id."""
    directory = _directory(space, upload_id)
    try:
        meta = json.loads((directory / "meta.json").read_text())
        received = (directory / "data").stat().st_size
    except (OSError, ValueError):
        raise NoSuchPath("No such upload.") from None
    meta["received"] = received
    return PendingUpload(**meta)


def append(
    space: UserSpace,
    upload_id: str,
    offset: int,
    length: int,
    chunks: Iterable[bytes],
    *,
    quota: Quota | None,
) -> PendingUpload:
    """Write ``length`` bytes (from ``chunks``) at ``offset``, which must be where the
    received bytes end.

    Raises
    ------
    NoSuchPath
        For an unknown id (or another user's).
    ChunkConflict
        If ``offset`` is not the number of bytes received, or another request is writing.
    StorageError
        If the chunk is empty, over :data:`CHUNK_BYTES`, or goes past the declared size.
    QuotaExceeded
        If the chunk does not fit with everything pending.
    """
    upload = status(space, upload_id)
    if offset != upload.received:
        raise ChunkConflict(
            f"The server has {upload.received} bytes of this file; send from there.",
            upload.received,
        )
    if not 0 < length <= CHUNK_BYTES:
        raise StorageError(f"A chunk holds 1 byte to {human_size(CHUNK_BYTES)}.")
    if offset + length > upload.size:
        raise StorageError("Upload refused: more bytes than the file's announced size.")
    if quota is not None:
        pending = sum(p.received for p in _pending(space))
        quota.check(pending + length, "Upload")
    with _locked(_directory(space, upload_id) / "data", upload.received) as out:
        written = 0
        for chunk in chunks:
            chunk = chunk[: length - written]
            out.write(chunk)
            written += len(chunk)
            if written >= length:
                break
    return status(space, upload_id)


class PartSource:
    """A finished upload's bytes, as :func:`~services.storage.intake.store_uploads` reads
    an uploaded file (``size`` and ``chunks()``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size

    def chunks(self) -> Iterator[bytes]:
        with self.path.open("rb") as data:
            while block := data.read(_READ_BYTES):
                yield block


def finished_source(space: UserSpace, upload_id: str) -> PartSource:
    return PartSource(_directory(space, upload_id) / "data")


def discard(space: UserSpace, upload_id: str) -> None:
    """Remove an upload's partial file (finished or abandoned)."""
    with contextlib.suppress(NoSuchPath):
        shutil.rmtree(_directory(space, upload_id), ignore_errors=True)


@contextlib.contextmanager
def _locked(path: Path, received: int) -> Iterator:
    with path.open("r+b") as out:
        try:
            fcntl.flock(out, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ChunkConflict("Another request is sending this file.", received) from None
        try:
            out.seek(0, 2)
            if out.tell() != received:  # another chunk landed between status and lock
                raise ChunkConflict("The file changed meanwhile; ask where to go on.", out.tell())
            yield out
        finally:
            fcntl.flock(out, fcntl.LOCK_UN)


def _pending(space: UserSpace) -> list[PendingUpload]:
    home = _home(space)
    if not home.is_dir():
        return []
    found = []
    for directory in home.iterdir():
        with contextlib.suppress(NoSuchPath, TypeError):
            found.append(status(space, directory.name))
    return found


def _drop_stale(space: UserSpace) -> list[PendingUpload]:
    """The pending uploads, after removing those untouched for :data:`STALE_S`."""
    now = time.time()
    kept = []
    for upload in _pending(space):
        data = _directory(space, upload.upload_id) / "data"
        try:
            stale = now - data.stat().st_mtime > STALE_S
        except OSError:
            stale = True
        if stale:
            discard(space, upload.upload_id)
        else:
            kept.append(upload)
    return kept
