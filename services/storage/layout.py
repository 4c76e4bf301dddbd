"""The on-disk layout of one user's space."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from services.storage.paths import PathEscape, safe_join


@dataclass(frozen=True)
class UserSpace:
    """One user's storage under ``DATA_DIR/users/<user_id>``."""

    root: Path

    @property
    def files(self) -> Path:
        """What the file manager shows; every path a user gives is relative to it."""
        return self.root / "files"

    @property
    def datasets(self) -> Path:
        """Learning arrays of the user's datasets, one directory per dataset."""
        return self.root / "datasets"

    @property
    def scratch(self) -> Path:
        """Uploads and extractions in progress, moved into ``files/`` once complete."""
        return self.root / "scratch"

    @property
    def index_path(self) -> Path:
        """The content index (SQLite file) of stored spectra."""
        return self.root / "index.sqlite3"

    def ensure(self) -> UserSpace:
        for path in (self.files, self.datasets):
            path.mkdir(parents=True, exist_ok=True)
        return self

    def resolve(self, *relatives: str) -> Path:
        """A path inside ``files/`` (the parts joined by ``/``); PathEscape for anything that
        leaves it."""
        return safe_join(self.files, "/".join(r for r in relatives if r))

    def dataset(self, name: str) -> Path:
        """The directory of dataset ``name`` inside ``datasets/``; PathEscape for a name that
        is not a plain name (``..``, a separator) or would leave it."""
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise PathEscape(f"{name[:80]!r} is not a dataset name")
        return safe_join(self.datasets, name)

    def usage_bytes(self) -> int:
        """Bytes used by files and datasets (what the quota limits)."""
        total = 0
        for top in (self.files, self.datasets):
            for dirpath, _dirs, names in os.walk(top):
                for name in names:
                    with contextlib.suppress(OSError):
                        total += os.lstat(os.path.join(dirpath, name)).st_size
        return total


def user_space(data_dir: Path, user_id: int) -> UserSpace:
    return UserSpace(Path(data_dir) / "users" / str(int(user_id)))
