"""The per-user index: identity, content and bytes, each one indexed lookup."""

from __future__ import annotations

import sqlite3

import pytest

from services.storage.index import ContentIndex, Entry

OLD_SCHEMA = """
CREATE TABLE spectra (sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL,
    format TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', added REAL NOT NULL);
CREATE INDEX spectra_path ON spectra(path);
INSERT INTO spectra VALUES ('sha-old', 'old/a.fits', 10, 'fits', 'upload', 0);
"""


@pytest.fixture
def index(tmp_path):
    index = ContentIndex(tmp_path / "index.sqlite")
    yield index
    index.close()


def test_an_index_from_before_identities_is_upgraded_and_keeps_its_entries(tmp_path):
    path = tmp_path / "index.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    index = ContentIndex(path)
    try:
        assert index.find("sha-old") == Entry("sha-old", "old/a.fits", 10, "fits", "upload")
        assert index.add(Entry("sha-new", "b.vot", 5, "votable", "ssap", "did:ivo://x/1", "v1:c"))
        assert index.find_known("did:ivo://x/1", "", "")[1] == "identity"
    finally:
        index.close()
    ContentIndex(path).close()  # opening an upgraded file again changes nothing


def test_a_spectrum_is_known_by_identity_then_content_then_bytes(index):
    index.add(Entry("sha-1", "a.vot", 1, "votable", "s", "did:ivo://x/1", "v1:one"))
    assert index.find_known("did:ivo://x/1", "v1:other", "sha-9")[1] == "identity"
    assert index.find_known("did:ivo://x/2", "v1:one", "sha-9")[1] == "content"
    assert index.find_known("", "", "sha-1")[1] == "sha256"
    assert index.find_known("did:ivo://x/2", "v1:two", "sha-2") is None
    assert index.find_known("", "", "") is None  # empty keys never match the empty columns


def test_a_known_identity_or_content_is_refused_under_other_bytes(index):
    assert index.add(Entry("sha-1", "a.vot", 1, "votable", "s", "did:ivo://x/1", "v1:one"))
    assert not index.add(Entry("sha-2", "b.vot", 1, "votable", "s", "did:ivo://x/1", "v1:two"))
    assert not index.add(Entry("sha-3", "c.vot", 1, "votable", "s", "", "v1:one"))
    assert index.add(Entry("sha-4", "d.vot", 1, "votable", "s", "", ""))
    assert index.add(Entry("sha-5", "e.vot", 1, "votable", "s", "", ""))  # "" is no key


@pytest.mark.parametrize(
    ("column", "index_name"), [("identity", "spectra_identity"), ("content", "spectra_content")]
)
def test_lookups_use_an_index_whatever_the_storage_size(index, tmp_path, column, index_name):
    with sqlite3.connect(tmp_path / "index.sqlite") as db:
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT path FROM spectra WHERE {column} = ? AND {column} != ''",
            ("x",),
        ).fetchall()
    assert any(index_name in str(step) for step in plan), plan
