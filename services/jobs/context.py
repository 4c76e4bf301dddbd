"""What a running job receives besides its parameters: paths and callbacks."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from services.fetch.policy import FetchPolicy
from services.storage.quota import QuotaSpec, admitted

ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class Result:
    """One result file of a job.

    Parameters
    ----------
    id : str
        The UWS result id, unique within the job (e.g. ``"result"``).
    path : str
        File name relative to the job's ``results/`` directory.
    mime_type : str
        Media type served with the file.
    """

    id: str
    path: str
    mime_type: str = "application/octet-stream"


@dataclass
class JobContext:
    """Paths and callbacks handed to a job's ``run`` function.

    Parameters
    ----------
    job_id : str
        The UWS job id (for log messages and file names).
    job_dir : Path
        The job's own directory; uploads are in ``job_dir / "uploads"``.
    user_root : Path, optional
        The owner's storage (``services.storage.UserSpace(user_root)``), for kinds that
        read or write the user's files and datasets.
    report : callable
        ``report(fraction, message)`` sends progress to the platform.
    fetch_policy : FetchPolicy
        Where the job may fetch from and how much (by default: public addresses only).
    quota : QuotaSpec, optional
        The owner's storage limit; writes into their space go through :meth:`admit`.
    """

    job_id: str
    job_dir: Path
    user_root: Path | None = None
    report: ProgressCallback = lambda fraction, message: None
    fetch_policy: FetchPolicy = field(default_factory=FetchPolicy)
    quota: QuotaSpec | None = None
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("vocloud.job"))
    min_report_interval: float = 0.2
    _last_report: float = field(default=0.0, repr=False)

    @property
    def user_space(self):
        """The owner's :class:`services.storage.UserSpace`."""
        from services.storage import UserSpace

        if self.user_root is None:
            raise RuntimeError("this job was started without the owner's storage")
        return UserSpace(self.user_root).ensure()

    @contextlib.contextmanager
    def admit(self, needed_bytes: int, action: str) -> Iterator[None]:
        """Write ``needed_bytes`` into the owner's space within their quota (atomically).

        Raises ``services.storage.quota.QuotaExceeded`` if they do not fit.
        """
        if self.quota is None:  # no quota: nothing to count (and no storage to look at)
            yield
            return
        with admitted(self.user_space, self.quota, needed_bytes, action):
            yield

    @property
    def results_dir(self) -> Path:
        """Where results are written; created on first use."""
        path = self.job_dir / "results"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def work_dir(self) -> Path:
        """Scratch space kept with the job (deleted with it)."""
        path = self.job_dir / "work"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def progress(self, fraction: float, message: str = "", *, force: bool = False) -> None:
        """Report progress, a fraction in [0, 1], at most every ``min_report_interval`` s."""
        now = time.monotonic()
        if not force and now - self._last_report < self.min_report_interval:
            return
        self._last_report = now
        self.report(min(1.0, max(0.0, float(fraction))), message)

    def stage(self, start: float, share: float) -> JobContext:
        """The same job, its progress fractions mapped into ``[start, start + share]``."""
        report = self.report
        return dataclasses.replace(self, report=lambda f, m: report(start + share * f, m))
