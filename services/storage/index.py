"""The content index of a user's spectra: SHA-256 of the bytes -> where the file is.

Re-ingesting a spectrum already present is skipped by its hash. The index is a small
SQLite file in the user's space (not the platform's database): jobs on any worker can use it.
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
    added REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS spectra_path ON spectra(path);
"""


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


class ContentIndex:
    """Thread-safe access to one user's index file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def find(self, sha256: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT sha256, path, size, format, source FROM spectra WHERE sha256 = ?",
                (sha256,),
            ).fetchone()
        return Entry(*row) if row else None

    def add(self, entry: Entry) -> bool:
        """Record a stored file; False if its content was already known."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO spectra VALUES (?, ?, ?, ?, ?, ?)",
                (entry.sha256, entry.path, entry.size, entry.format, entry.source, time.time()),
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
            rows = self._db.execute(
                "SELECT sha256, path, size, format, source FROM spectra ORDER BY path"
            ).fetchall()
        return [Entry(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
