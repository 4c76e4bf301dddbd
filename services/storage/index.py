"""The content index of a user's spectra: what each stored file is, and where it is.

One row per stored file: the SHA-256 of its bytes (for datasets built from it), its
*identity* (the publisher's dataset identifier where a service gave one, e.g.
``did:ivo://org/coll?123``) and its *content* key (a hash of the spectrum as read, see
:mod:`services.ingest.identity`). Re-ingesting a spectrum already present is skipped by
identity, content or bytes, each one indexed lookup (unique where set), so the check
stays fast for storages of millions of files. The index is a small SQLite file in the
user's space (not the platform's database): jobs on any worker can use it. Index files
written before identities existed get the two columns (empty) when first opened.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spectra (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    format TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    added REAL NOT NULL,
    identity TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS spectra_path ON spectra(path);
"""
_KEYS = """
CREATE UNIQUE INDEX IF NOT EXISTS spectra_identity ON spectra(identity) WHERE identity != '';
CREATE UNIQUE INDEX IF NOT EXISTS spectra_content ON spectra(content) WHERE content != '';
"""
_COLUMNS = "sha256, path, size, format, source, identity, content"
# how an entry was matched -> words for a report
MATCHED_BY = {"identity": "the same dataset identifier", "content": "the same spectrum"}
MATCHED_BY["sha256"] = "the same file"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Entry:
    sha256: str
    path: str  # relative to the user's files/
    size: int
    format: str
    source: str
    identity: str = ""  # the publisher's dataset identifier ("did:..."), "" if none
    content: str = ""  # hash of the spectrum as read, "" if not known


class ContentIndex:
    """Thread-safe access to one user's index file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._add_identity_columns()
        self._db.executescript(_KEYS)

    def _add_identity_columns(self) -> None:
        """Bring an index file from before identities up to date (another process may be
        doing the same: a duplicate column is its work done)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(spectra)")}
        for name in ("identity", "content"):
            if name in columns:
                continue
            try:
                with self._db:
                    self._db.execute(
                        f"ALTER TABLE spectra ADD COLUMN {name} TEXT NOT NULL DEFAULT ''"
                    )
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise

    def find(self, sha256: str) -> Entry | None:
        """The entry of a file with these bytes."""
        return self._find_by("sha256", sha256)

    def find_known(self, identity: str, content: str, sha256: str) -> tuple[Entry, str] | None:
        """The entry that makes a spectrum a duplicate, and what matched.

        Looked up by identity (when given), then content key (when given), then bytes;
        the second value is ``"identity"``, ``"content"`` or ``"sha256"``.
        """
        for column, value in (("identity", identity), ("content", content), ("sha256", sha256)):
            if value:
                found = self._find_by(column, value)
                if found is not None:
                    return found, column
        return None

    def _find_by(self, column: str, value: str) -> Entry | None:
        # the literal "!= ''" lets SQLite use the partial unique index on the column
        where = f"{column} = ? AND {column} != ''"
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM spectra WHERE {where}", (value,)
            ).fetchone()
        return Entry(*row) if row else None

    def add(self, entry: Entry) -> bool:
        """Record a stored file; False if its bytes, identity or content were already known."""
        with self._lock, self._db:
            cursor = self._db.execute(
                f"INSERT OR IGNORE INTO spectra ({_COLUMNS}, added) VALUES ({', '.join('?' * 8)})",
                (
                    entry.sha256,
                    entry.path,
                    entry.size,
                    entry.format,
                    entry.source,
                    entry.identity,
                    entry.content,
                    time.time(),
                ),
            )
        return cursor.rowcount == 1

    def forget_paths(self, prefix: str) -> int:
        """Drop entries of files deleted at ``prefix`` (a file or a folder)."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM spectra WHERE path = ? OR path LIKE ? ESCAPE '\\'",
                (prefix, prefix.replace("%", r"\%").replace("_", r"\_") + "/%"),
            )
        return cursor.rowcount

    def move_paths(self, old: str, new: str) -> int:
        """Follow a rename or move of a file or folder from ``old`` to ``new``."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "UPDATE spectra SET path = ? || substr(path, ?) "
                "WHERE path = ? OR substr(path, 1, ?) = ?",
                (new, len(old) + 1, old, len(old) + 1, old + "/"),
            )
        return cursor.rowcount

    def entries(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM spectra ORDER BY path").fetchall()
        return [Entry(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
