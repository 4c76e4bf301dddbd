"""Download settings and outcomes shared by the HTTP and FTP downloaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.fetch.policy import FetchPolicy


class FetchError(Exception):
    """A download that failed; the message is one sentence a user can read.

    Parameters
    ----------
    message : str
        What went wrong ("HTTP 404 Not Found", "larger than 50 MB", ...).
    transient : bool
        True when trying again may help (connection errors, timeouts, HTTP 5xx/429).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class FetchOptions:
    """How downloads behave.

    Parameters
    ----------
    parallel : int
        Downloads running at the same time (threads).
    connect_timeout, read_timeout : float
        Seconds to wait for a connection, and between two received blocks.
    max_bytes : int
        Size cap of one file; a larger one is aborted while streaming.
    retries : int
        Further attempts after a transient failure (0 = try once).
    backoff : float
        Seconds before the first retry; doubled after each further failure.
    max_backoff : float
        Upper bound of one wait between attempts (also caps ``Retry-After``).
    policy : FetchPolicy
        Where fetches may go, their deadline and the cap on documents read into memory
        (by default: public addresses only).
    """

    parallel: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_bytes: int = 200 * 1024**2
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    policy: FetchPolicy = field(default_factory=lambda: _default_policy())

    @property
    def max_mb(self) -> str:
        """The size cap in MB, for messages."""
        return f"{self.max_bytes / 1024**2:.3g}"

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1))


def _default_policy() -> FetchPolicy:
    from services.fetch.policy import FetchPolicy

    return FetchPolicy()


@dataclass(frozen=True)
class Outcome:
    """What happened to one requested URL.

    Parameters
    ----------
    url : str
        The URL as requested.
    path : Path or None
        The downloaded file, or None when the download failed.
    error : str
        Why it failed ("" on success).
    content_type : str
        The media type the server announced ("" if none, or for FTP).
    attempts : int
        Requests made (1 + retries used).
    """

    url: str
    path: Path | None
    error: str = ""
    content_type: str = ""
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.path is not None and not self.error
