"""Uploads: many files, folders with relative paths, archives; all or nothing."""

from __future__ import annotations

import numpy as np
import pytest

from services.storage.archives import ArchiveError, Limits
from services.storage.intake import store_uploads
from services.storage.manager import StorageError
from services.storage.quota import QuotaExceeded, QuotaSpec
from tests.services.storage.conftest import roomy, tar_gz_bytes, tree, upload, zip_bytes


def test_many_files_and_a_folder_keep_their_relative_paths(space):
    uploads = [
        upload("a.txt", b"a"),
        upload("b.csv", b"x,y\n1,2\n"),
        upload("night1/raw/c.fits", b"SIMPLE"),
        upload("night1/d.txt", b"d"),
    ]
    stored = store_uploads(space, "", uploads, roomy())
    assert sorted(stored.paths) == ["a.txt", "b.csv", "night1/d.txt", "night1/raw/c.fits"]
    assert (space.files / "night1/raw/c.fits").read_bytes() == b"SIMPLE"
    assert tree(space.scratch) == []  # the staging folder is gone


def test_a_taken_name_gets_a_number_instead_of_overwriting(space):
    (space.files / "a.txt").write_bytes(b"old")
    stored = store_uploads(space, "", [upload("a.txt", b"new")], roomy())
    assert stored.paths == ["a (1).txt"] and stored.renamed == 1
    assert (space.files / "a.txt").read_bytes() == b"old"


@pytest.mark.parametrize("relative", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "C:/x"])
def test_unsafe_relative_paths_are_refused(space, relative):
    with pytest.raises(StorageError, match="unsafe file name"):
        store_uploads(space, "", [upload("ok.txt", b"1"), upload(relative, b"2")], roomy())
    assert tree(space.files) == []
    assert not (space.root.parent / "evil.txt").exists()


def test_over_quota_is_refused_with_the_sizes_and_nothing_written(space):
    quota = QuotaSpec(limit_bytes=5 * 1024**3, elsewhere_bytes=5 * 1024**3 - 4_300_000)
    big = upload("big.fits", b"\0" * 12_900_000)
    with pytest.raises(QuotaExceeded) as refused:
        store_uploads(space, "", [upload("small.txt", b"1"), big], quota)
    assert str(refused.value) == (
        "Upload refused: it needs 12.3 MB but only 4.1 MB of your 5 GB quota is free."
    )
    assert tree(space.files) == []


@pytest.mark.parametrize("make", [zip_bytes, tar_gz_bytes])
def test_archives_are_extracted_into_the_folder(space, make):
    (space.files / "here").mkdir()
    archive = make({"spectra/a.txt": b"a", "b.txt": b"b"})
    stored = store_uploads(
        space,
        "here",
        [upload("pack.zip" if make is zip_bytes else "pack.tar.gz", archive)],
        roomy(),
        extract_archives=True,
    )
    assert stored.archives == 1
    assert tree(space.files) == ["here", "here/b.txt", "here/spectra", "here/spectra/a.txt"]


def test_archives_are_kept_as_files_without_the_checkbox(space):
    store_uploads(space, "", [upload("pack.zip", zip_bytes({"a.txt": b"a"}))], roomy())
    assert tree(space.files) == ["pack.zip"]


@pytest.mark.parametrize(
    ("members", "symlink", "message"),
    [
        ({"ok.txt": b"1", "../evil.txt": b"2"}, None, "'..' is not allowed"),
        ({"ok.txt": b"1", "/tmp/evil.txt": b"2"}, None, "absolute paths are not allowed"),
        ({"ok.txt": b"1"}, "link", "link"),
    ],
    ids=["dotdot", "absolute", "symlink"],
)
@pytest.mark.parametrize("make", [zip_bytes, tar_gz_bytes], ids=["zip", "tar.gz"])
def test_unsafe_archive_members_refuse_the_whole_upload(space, make, members, symlink, message):
    name = "evil.zip" if make is zip_bytes else "evil.tar.gz"
    uploads = [upload("fine.txt", b"fine"), upload(name, make(members, symlink=symlink))]
    with pytest.raises(ArchiveError, match=message):
        store_uploads(space, "", uploads, roomy(), extract_archives=True)
    assert tree(space.files) == [] and tree(space.scratch) == []


def test_a_zip_bomb_by_ratio_is_stopped(space):
    bomb = zip_bytes({"zeros.bin": b"\0" * (12 * 1024**2)})  # ~12 kB that expand 1000x
    with pytest.raises(ArchiveError, match="compression ratio"):
        store_uploads(space, "", [upload("bomb.zip", bomb)], roomy(), extract_archives=True)
    assert tree(space.files) == []


def test_a_zip_bomb_by_size_is_stopped(space):
    noise = np.random.default_rng(1).bytes(3 * 1024**2)  # incompressible: the ratio is fine
    limits = Limits(max_total_bytes=2 * 1024**2)
    with pytest.raises(ArchiveError, match="expands to more than"):
        store_uploads(
            space,
            "",
            [upload("big.zip", zip_bytes({"n.bin": noise}))],
            roomy(),
            extract_archives=True,
            limits=limits,
        )
    assert tree(space.files) == []


def test_an_archive_that_does_not_fit_the_quota_says_so(space):
    quota = QuotaSpec(limit_bytes=1024**2)
    archive = zip_bytes({"zeros.bin": b"\0" * (2 * 1024**2)})
    with pytest.raises(QuotaExceeded, match="Extraction refused: it needs 2 MB but only 1 MB"):
        store_uploads(space, "", [upload("a.zip", archive)], quota, extract_archives=True)
    assert tree(space.files) == []


def test_a_corrupt_archive_gives_a_clear_message(space):
    with pytest.raises(ArchiveError, match=r"bad\.zip"):
        store_uploads(
            space, "", [upload("bad.zip", b"PK\3\4 junk")], roomy(), extract_archives=True
        )
    assert tree(space.files) == []


def test_a_file_where_the_upload_needs_a_folder_refuses_it(space):
    (space.files / "night1").write_bytes(b"a file")
    with pytest.raises(StorageError, match="'night1' is a file here"):
        store_uploads(space, "", [upload("night1/a.txt", b"a")], roomy())
    assert tree(space.files) == ["night1"]
