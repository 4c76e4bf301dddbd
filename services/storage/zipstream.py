"""A zip of chosen files and folders, produced while it is sent (nothing written to disk)."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20


def zip_members(paths: list[Path]) -> list[tuple[str, Path]]:
    """(name in the zip, file) for each file at or under ``paths``; links are left out.

    Parameters
    ----------
    paths : list of Path
        Resolved files and folders; a folder keeps its name as the top of its entries.
    """
    members: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_file() and not path.is_symlink():
            members.append((path.name, path))
            continue
        for dirpath, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(dirpath, d)))
            for name in sorted(names):
                full = Path(dirpath, name)
                if not full.is_symlink() and full.is_file():
                    arcname = Path(path.name, full.relative_to(path)).as_posix()
                    members.append((arcname, full))
    return members


class _Sink:
    """A write-only stream that hands over what was written since the last call."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def stream_zip(members: list[tuple[str, Path]]) -> Iterator[bytes]:
    """The bytes of a zip holding ``members``, in pieces of about :data:`CHUNK` bytes."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for arcname, path in members:
            info = zipfile.ZipInfo.from_file(path, arcname)
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, zf.open(info, "w", force_zip64=True) as out:
                while block := source.read(CHUNK):
                    out.write(block)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    yield sink.take()
