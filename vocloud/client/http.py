"""The HTTP core of the client: one requests session with the user's token."""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from vocloud.client.datasets import Datasets
    from vocloud.client.files import Files
    from vocloud.client.jobs import Jobs
    from vocloud.client.labelling import Sessions

#: The JSON API's address on the platform (docs/api.md).
API = "/api/v1"
#: Seconds to wait for the platform to answer one request (jobs are followed, not waited on).
TIMEOUT = 60


class VocloudError(RuntimeError):
    """The platform refused a request; ``str()`` is its readable sentence.

    Attributes
    ----------
    status : int or None
        The HTTP status, or None when the platform could not be reached at all.
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Client:
    """A connection to one vocloud platform as one user.

    Parameters
    ----------
    url : str, optional
        The platform's address, e.g. ``http://127.0.0.1:8000``; ``VOCLOUD_URL`` if not given.
    token : str, optional
        An API token (Settings → Tokens in the portal, or the one JupyterHub puts in
        ``VOCLOUD_TOKEN``); ``VOCLOUD_TOKEN`` if not given.
    timeout : float
        Seconds to wait for one answer.
    """

    def __init__(
        self, url: str | None = None, token: str | None = None, *, timeout: float = TIMEOUT
    ):
        url = url or os.environ.get("VOCLOUD_URL", "")
        token = token or os.environ.get("VOCLOUD_TOKEN", "")
        if not url:
            raise VocloudError("Give the platform's address, or set VOCLOUD_URL.")
        if not token:
            raise VocloudError(
                "Give an API token (portal: Settings → Tokens), or set VOCLOUD_TOKEN."
            )
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {token}"
        self.http.headers["User-Agent"] = "vocloud-client"

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def absolute(self, path: str) -> str:
        """The platform URL of ``path`` (a path on the platform, e.g. ``/api/v1/me``)."""
        if path.startswith(("http://", "https://")):
            if not path.startswith(self.url + "/"):
                raise VocloudError(f"{path} is not on {self.url}.")
            return path
        return f"{self.url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request; VocloudError with the platform's sentence when it fails."""
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.http.request(method, self.absolute(path), **kwargs)
        except requests.RequestException as exc:
            raise VocloudError(f"Cannot reach {self.url}: {type(exc).__name__}.") from None
        if response.status_code >= 400:
            raise VocloudError(_sentence(response), response.status_code)
        return response

    def get_json(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None).json()

    def post_json(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body).json()

    def me(self) -> dict[str, Any]:
        """Who the token belongs to: ``username``, ``is_staff`` and the storage ``quota``."""
        return self.get_json(f"{API}/me")

    @cached_property
    def files(self) -> Files:
        """The user's storage: ``list``, ``upload``, ``download``, ``mkdir``, ``delete``."""
        from vocloud.client.files import Files

        return Files(self)

    @cached_property
    def datasets(self) -> Datasets:
        """The user's datasets: ``list()`` and ``datasets["name"]``."""
        from vocloud.client.datasets import Datasets

        return Datasets(self)

    @cached_property
    def jobs(self) -> Jobs:
        """Job kinds and UWS jobs: ``kinds``, ``describe``, ``submit``, ``get``."""
        from vocloud.client.jobs import Jobs

        return Jobs(self)

    @cached_property
    def sessions(self) -> Sessions:
        """Labelling sessions: ``list()`` and ``sessions[id_or_name]``."""
        from vocloud.client.labelling import Sessions

        return Sessions(self)


def _sentence(response: requests.Response) -> str:
    """The readable reason of a refusal: the JSON ``error``/``detail``, or the text's first line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error", "detail", "errorSummary"):
            if isinstance(body.get(key), str):
                return body[key]
    text = response.text.strip().splitlines()
    return text[0][:300] if text else f"HTTP {response.status_code}"
