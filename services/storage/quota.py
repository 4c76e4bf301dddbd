"""The storage quota: a write is refused before anything is written if it would not fit.

Every way data enters a user's space (portal uploads and copies, archive extraction,
ingestion from any source, dataset builds) writes inside :func:`admitted`, which checks
and counts under the user's lock; UWS job uploads count too (``QuotaSpec.elsewhere_bytes``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
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


def quota_of(space: UserSpace, limit_bytes: int, elsewhere_bytes: int = 0) -> Quota:
    """The quota of ``space`` with its current usage (files, datasets, and what is kept
    elsewhere: ``elsewhere_bytes``)."""
    return Quota(limit_bytes=limit_bytes, used_bytes=space.usage_bytes() + elsewhere_bytes)


def recent_quota(space: UserSpace, limit_bytes: int, elsewhere_bytes: int = 0) -> Quota:
    """Like :func:`quota_of`, but from the usage the writers keep (walked at most every
    :data:`USAGE_TTL_S` seconds, never under-estimated between walks): for pages and
    per-chunk checks that must not walk a space of millions of files on each request."""
    path = space.root / _USAGE_NAME
    try:
        kept = json.loads(path.read_text())
        if time.time() - float(kept["walked"]) < USAGE_TTL_S:
            return Quota(limit_bytes, int(kept["bytes"]) + elsewhere_bytes)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    space.root.mkdir(parents=True, exist_ok=True)
    with (space.root / _LOCK_NAME).open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # no writer may count while we walk
        try:
            return Quota(limit_bytes, _recent_usage(space) + elsewhere_bytes)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def snapshot(space: UserSpace, spec: QuotaSpec | None) -> Quota:
    """The quota as it stands now (no limit when ``spec`` is None), for early refusals."""
    if spec is None:
        return Quota(limit_bytes=2**62, used_bytes=0)
    return quota_of(space, spec.limit_bytes, spec.elsewhere_bytes)


@dataclass(frozen=True)
class QuotaSpec:
    """What the platform grants a user: the limit, and the bytes of theirs kept outside
    their space that count against it (their jobs' uploads)."""

    limit_bytes: int
    elsewhere_bytes: int = 0


# The usage a writer starts from is walked at most this often; every admitted write adds
# to it, every deletion forgets it, so between walks it can only over-estimate.
USAGE_TTL_S = 300.0
_LOCK_NAME = ".quota.lock"
_USAGE_NAME = ".usage.json"


@contextlib.contextmanager
def admitted(
    space: UserSpace, spec: QuotaSpec | None, needed_bytes: int, action: str = "Upload"
) -> Iterator[None]:
    """Let a write of ``needed_bytes`` happen only if it fits, atomically.

    The user's quota lock (an exclusive ``flock``, shared by web processes and workers) is
    held from the check until the caller's block has written its files, so two writers can
    never both see the same free space. ``spec=None`` admits everything (no quota).

    Raises
    ------
    QuotaExceeded
        Before the block runs, if the bytes do not fit.
    """
    if spec is None:
        yield
        return
    space.root.mkdir(parents=True, exist_ok=True)
    with (space.root / _LOCK_NAME).open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            used = _recent_usage(space)
            Quota(spec.limit_bytes, used + spec.elsewhere_bytes).check(needed_bytes, action)
            try:
                yield
            except BaseException:
                forget_usage(space)  # a half-done write: walk again next time
                raise
            _keep_usage(space, used + needed_bytes)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def forget_usage(space: UserSpace) -> None:
    """Something was deleted or moved out: the next admission walks the space again."""
    with contextlib.suppress(OSError):
        (space.root / _USAGE_NAME).unlink()


def _recent_usage(space: UserSpace) -> int:
    path = space.root / _USAGE_NAME
    try:
        kept = json.loads(path.read_text())
        if time.time() - float(kept["walked"]) < USAGE_TTL_S:
            return int(kept["bytes"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return _keep_usage(space, space.usage_bytes(), walked=time.time())


def _keep_usage(space: UserSpace, used: int, walked: float | None = None) -> int:
    path = space.root / _USAGE_NAME
    if walked is None:
        try:
            walked = float(json.loads(path.read_text())["walked"])
        except (OSError, ValueError, KeyError, TypeError):
            walked = 0.0  # unknown: the next admission walks
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(OSError):  # a full disk must not turn a write into an error
        tmp.write_text(json.dumps({"bytes": int(used), "walked": walked}))
        os.replace(tmp, path)
    return used
