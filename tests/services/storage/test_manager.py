"""Folders, rename, move, copy and delete; the content index follows."""

from __future__ import annotations

import os

import pytest

from services.storage import PathEscape
from services.storage.index import ContentIndex, Entry
from services.storage.manager import (
    NoSuchPath,
    StorageError,
    copy,
    delete,
    existing,
    make_folder,
    move,
    rename,
)
from services.storage.quota import QuotaExceeded, QuotaSpec
from tests.services.storage.conftest import roomy, tree


@pytest.fixture
def filled(space):
    (space.files / "night1" / "raw").mkdir(parents=True)
    (space.files / "night1" / "raw" / "a.fits").write_bytes(b"A" * 100)
    (space.files / "b.fits").write_bytes(b"B" * 50)
    (space.files / "archive").mkdir()
    index = ContentIndex(space.index_path)
    index.add(Entry("sha-a", "night1/raw/a.fits", 100, "fits", ""))
    index.add(Entry("sha-b", "b.fits", 50, "fits", ""))
    index.close()
    return space


def index_paths(space) -> dict[str, str]:
    index = ContentIndex(space.index_path)
    try:
        return {entry.sha256: entry.path for entry in index.entries()}
    finally:
        index.close()


def test_make_folder_and_refuse_bad_or_taken_names(space):
    assert make_folder(space, "", "night1") == "night1"
    assert make_folder(space, "night1", "raw") == "night1/raw"
    for bad in ("", "..", "a/b", "x\x00"):
        with pytest.raises(StorageError, match="not a valid name"):
            make_folder(space, "", bad)
    with pytest.raises(StorageError, match="already exists"):
        make_folder(space, "", "night1")


def test_rename_a_folder_moves_its_index_entries(filled):
    assert rename(filled, "night1", "2005-05-27") == "2005-05-27"
    assert index_paths(filled) == {"sha-a": "2005-05-27/raw/a.fits", "sha-b": "b.fits"}
    with pytest.raises(StorageError, match="already exists"):
        rename(filled, "b.fits", "2005-05-27")


def test_move_into_a_folder_follows_in_the_index(filled):
    assert move(filled, ["b.fits", "night1"], "archive") == ["archive/b.fits", "archive/night1"]
    assert index_paths(filled) == {"sha-a": "archive/night1/raw/a.fits", "sha-b": "archive/b.fits"}


def test_move_is_all_or_nothing_and_never_into_itself(filled):
    (filled.files / "archive" / "b.fits").write_bytes(b"other")
    with pytest.raises(StorageError, match="already exists in the destination"):
        move(filled, ["night1", "b.fits"], "archive")
    assert (filled.files / "night1").is_dir()
    with pytest.raises(StorageError, match="into itself"):
        move(filled, ["night1"], "night1/raw")


def test_delete_files_and_folders_forgets_them_in_the_index(filled):
    assert delete(filled, ["night1", "b.fits"]) == 2
    assert tree(filled.files) == ["archive"]
    assert index_paths(filled) == {}


def test_the_top_folder_cannot_be_deleted_or_renamed(filled):
    for path in ("", ".", "night1/.."):
        with pytest.raises((StorageError, PathEscape)):
            delete(filled, [path])
    assert (filled.files / "b.fits").exists()


def test_copy_counts_against_the_quota(filled):
    assert copy(filled, ["night1", "b.fits"], "archive", roomy()) == [
        "archive/night1",
        "archive/b.fits",
    ]
    assert copy(filled, ["b.fits"], "", roomy()) == ["b (1).fits"]
    tight = QuotaSpec(limit_bytes=filled.usage_bytes() + 120)
    with pytest.raises(QuotaExceeded, match="Copy refused: it needs 150 bytes but only 120"):
        copy(filled, ["night1", "b.fits"], "", tight)
    assert not (filled.files / "night1 (1)").exists()


@pytest.mark.parametrize(
    "path", ["../2/files", "/etc/passwd", "night1/../../../x", "%2e%2e/x", "missing.txt"]
)
def test_paths_outside_or_missing_are_refused(filled, path):
    with pytest.raises((PathEscape, NoSuchPath)):
        existing(filled, path)


def test_a_symlink_that_leaves_the_storage_is_refused(filled, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    os.symlink(secret, filled.files / "link.txt")
    os.symlink(tmp_path, filled.files / "linkdir")
    for path in ("link.txt", "linkdir/secret.txt"):
        with pytest.raises(PathEscape):
            existing(filled, path)
