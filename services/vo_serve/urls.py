"""Where a user's VO services live: every URL a document hands out, built in one place."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class ServiceUrls:
    """The URLs under one service base.

    Parameters
    ----------
    base : str
        Absolute URL without a trailing slash: ``https://host/vo`` (clients that send a
        token or a password) or ``https://host/vo/c/<capability>`` (the capability in the
        path is the credential, for clients that cannot send one: TOPCAT, Aladin).
    """

    base: str

    @property
    def ssa(self) -> str:
        return f"{self.base}/ssa"

    @property
    def datalink(self) -> str:
        return f"{self.base}/datalink"

    @property
    def soda(self) -> str:
        return f"{self.base}/soda"

    @property
    def capabilities(self) -> str:
        return f"{self.base}/capabilities"

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    def candidates(self, job_id: str) -> str:
        """The SSAP service over the candidates of one score or assess job."""
        return f"{self.base}/candidates/{job_id}"

    def this(self, identifier: str) -> str:
        """The original file of a spectrum."""
        return f"{self.base}/this?{urlencode({'ID': identifier})}"

    def preview(self, identifier: str) -> str:
        """A PNG plot of a spectrum."""
        return f"{self.base}/preview?{urlencode({'ID': identifier})}"
