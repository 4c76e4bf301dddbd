"""Safe extraction of .zip, .tar, .tar.gz/.tgz and .tar.bz2 archives.

Refuses members with absolute paths, ``..``, links and device files, and stops zip bombs:
the bytes actually written are counted (headers are not trusted) against a total cap, a
per-member cap and a compression-ratio cap.
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from services.messages import os_reason
from services.storage.paths import PathEscape, clean_relative, unique_path

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2")


class ArchiveError(ValueError):
    """An archive that cannot be extracted safely; the message names the archive."""


@dataclass(frozen=True)
class Limits:
    max_total_bytes: int = 2 * 1024**3
    max_members: int = 100_000
    max_ratio: float = 200.0  # uncompressed / compressed, for the whole archive
    min_ratio_bytes: int = 10 * 1024**2  # the ratio is checked once this much is out
    # why max_total_bytes is what it is, for the message that refuses an archive over it
    total_reason: str = "a zip bomb?"


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def extract(archive: Path, dest: Path, limits: Limits = Limits()) -> list[Path]:
    """Extract ``archive`` into ``dest``; return the regular files written.

    Nothing is left behind on failure: files written before the error are removed.

    Raises
    ------
    ArchiveError
        For an unsafe member, a bomb, or a corrupt or unknown archive.
    """
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        _extract_members(archive, dest, limits, written)
    except ArchiveError:
        _remove(written, dest)
        raise
    except OSError as exc:  # the disk, not the archive: say what, never where
        _remove(written, dest)
        raise ArchiveError(f"{archive.name}: could not be extracted ({os_reason(exc)})") from None
    except (EOFError, zipfile.BadZipFile, tarfile.TarError) as exc:
        _remove(written, dest)
        raise ArchiveError(f"{archive.name}: corrupt or unreadable archive ({exc})") from None
    return written


def _extract_members(archive: Path, dest: Path, limits: Limits, written: list[Path]) -> None:
    compressed = max(1, archive.stat().st_size)
    total = 0
    for count, (name, opener) in enumerate(_members(archive), start=1):
        if count > limits.max_members:
            raise ArchiveError(f"{archive.name}: more than {limits.max_members} members")
        try:
            target = dest / clean_relative(name)
        except PathEscape as exc:
            raise ArchiveError(f"{archive.name}: unsafe member {name!r} ({exc})") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        target = unique_path(target)
        with opener() as source, target.open("wb") as out:
            written.append(target)
            while block := source.read(1 << 20):
                total += len(block)
                if total > limits.max_total_bytes:
                    raise ArchiveError(
                        f"{archive.name}: expands to more than "
                        f"{limits.max_total_bytes} bytes ({limits.total_reason})"
                    )
                if total > limits.min_ratio_bytes and total / compressed > limits.max_ratio:
                    raise ArchiveError(
                        f"{archive.name}: compression ratio above "
                        f"{limits.max_ratio:.0f} (a zip bomb?)"
                    )
                out.write(block)


def _members(archive: Path) -> Iterator[tuple[str, object]]:
    """(name, opener) of each regular file; refuses links and special files."""
    name = archive.name.lower()
    if name.endswith(".zip") or zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                mode = info.external_attr >> 16
                if mode and (mode & 0o170000) == 0o120000:
                    raise ArchiveError(f"{archive.name}: {info.filename!r} is a symbolic link")
                if info.is_dir():
                    continue
                yield info.filename, (lambda info=info: zf.open(info))
        return
    if not tarfile.is_tarfile(archive):
        raise ArchiveError(f"{archive.name}: not a zip or tar archive")
    with tarfile.open(archive, "r:*") as tf:
        for member in tf:
            if member.isdir():
                continue
            if member.issym() or member.islnk():
                raise ArchiveError(f"{archive.name}: {member.name!r} is a link")
            if not member.isfile():
                raise ArchiveError(f"{archive.name}: {member.name!r} is not a regular file")
            yield member.name, (lambda member=member: _tar_reader(tf, member))


def _tar_reader(tf: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    handle = tf.extractfile(member)
    if handle is None:
        raise ArchiveError(f"{member.name!r} has no content")
    return handle


def _remove(paths: list[Path], dest: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    # directories the extraction created and left empty, deepest first
    for directory in sorted({p.parent for p in paths}, key=lambda p: -len(p.parts)):
        if directory != dest and directory.is_relative_to(dest) and not any(directory.iterdir()):
            shutil.rmtree(directory, ignore_errors=True)
