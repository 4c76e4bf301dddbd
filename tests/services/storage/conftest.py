"""A user's space in a temporary directory, and helpers that build archives and uploads."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from services.storage import UserSpace
from services.storage.intake import Upload
from services.storage.quota import QuotaSpec


@pytest.fixture
def space(tmp_path) -> UserSpace:
    return UserSpace(tmp_path / "users" / "1").ensure()


class Bytes:
    """An uploaded file as Django hands it over: a size and chunks."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def chunks(self):
        for start in range(0, max(1, len(self.data)), 4096):
            yield self.data[start : start + 4096]


def upload(relative: str, data: bytes | Path) -> Upload:
    return Upload(relative, Bytes(data.read_bytes() if isinstance(data, Path) else data))


def roomy() -> QuotaSpec:
    return QuotaSpec(limit_bytes=10**9)


def zip_bytes(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16) | 0
            zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def tar_gz_bytes(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc"
            tf.addfile(info)
    return buffer.getvalue()


def tree(root: Path) -> list[str]:
    """Every file and folder under ``root``, relative, sorted."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
