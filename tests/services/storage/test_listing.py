"""Listings, human sizes, breadcrumbs and the streamed zip."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from services.storage.listing import breadcrumbs, folders, human_size, list_folder
from services.storage.zipstream import stream_zip, zip_members


@pytest.mark.parametrize(
    ("n_bytes", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1536, "1.5 KB"),
        (12_900_000, "12.3 MB"),
        (5 * 1024**3, "5 GB"),
    ],
)
def test_human_size(n_bytes, text):
    assert human_size(n_bytes) == text


def test_folders_first_then_files_and_no_links(space, tmp_path):
    (space.files / "zeta").mkdir()
    (space.files / "zeta" / "in.txt").write_bytes(b"12345")
    (space.files / "Alpha.fits").write_bytes(b"SIMPLE")
    (space.files / "beta.vot").write_bytes(b"<VOTABLE/>")
    os.symlink(tmp_path, space.files / "outside")
    items = list_folder(space, space.files)
    assert [(i.name, i.is_dir, i.size, i.kind) for i in items] == [
        ("zeta", True, 5, "folder"),
        ("Alpha.fits", False, 6, "FITS"),
        ("beta.vot", False, 10, "VOTable"),
    ]
    assert items[0].path == "zeta" and folders(space) == ["", "zeta"]


def test_breadcrumbs():
    assert breadcrumbs("") == []
    assert breadcrumbs("a/b") == [("a", "a"), ("b", "a/b")]


def test_the_streamed_zip_holds_files_and_folders(space, tmp_path):
    (space.files / "night1" / "raw").mkdir(parents=True)
    (space.files / "night1" / "raw" / "a.fits").write_bytes(b"A" * 3_000_000)
    (space.files / "b.txt").write_bytes(b"b")
    os.symlink(tmp_path, space.files / "night1" / "escape")
    members = zip_members([space.files / "night1", space.files / "b.txt"])
    data = b"".join(stream_zip(members))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["night1/raw/a.fits", "b.txt"]
        assert zf.read("night1/raw/a.fits") == b"A" * 3_000_000
        assert zf.testzip() is None
