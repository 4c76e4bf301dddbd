"""The storage quota: a write is refused before anything is written if it would not fit."""

from __future__ import annotations

from dataclasses import dataclass

from services.storage.layout import UserSpace
from services.storage.listing import human_size


class QuotaExceeded(ValueError):
    """A write that does not fit in the user's quota; the message says by how much."""


@dataclass(frozen=True)
class Quota:
    """A user's limit (bytes) and what is used now (bytes)."""

    limit_bytes: int
    used_bytes: int

    @property
    def free_bytes(self) -> int:
        return max(0, self.limit_bytes - self.used_bytes)

    @property
    def used_fraction(self) -> float:
        return min(1.0, self.used_bytes / self.limit_bytes) if self.limit_bytes > 0 else 1.0

    def check(self, needed_bytes: int, action: str = "Upload") -> None:
        """Raise :class:`QuotaExceeded` unless ``needed_bytes`` more fit.

        Parameters
        ----------
        needed_bytes : int
            Bytes the write would add.
        action : str
            What is refused, for the message: ``"Upload"``, ``"Extraction"``, ``"Copy"``.
        """
        if needed_bytes > self.free_bytes:
            raise QuotaExceeded(
                f"{action} refused: it needs {human_size(needed_bytes)} but only "
                f"{human_size(self.free_bytes)} of your {human_size(self.limit_bytes)} "
                "quota is free."
            )


def quota_of(space: UserSpace, limit_bytes: int) -> Quota:
    """The quota of ``space`` with its current usage (files and datasets)."""
    return Quota(limit_bytes=limit_bytes, used_bytes=space.usage_bytes())
