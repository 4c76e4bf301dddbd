"""HTTP(S) downloads with timeouts, a size cap and retries with exponential back-off."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from services.fetch.names import name_for
from services.fetch.options import FetchError, FetchOptions, Outcome
from services.fetch.sniff import html_instead_of_data

logger = logging.getLogger(__name__)

USER_AGENT = "vocloud-ingest/0.1 (+https://github.com/vocloud)"
_BLOCK = 1 << 16


class TimeoutSession(requests.Session):
    """A ``requests.Session`` that applies default (connect, read) timeouts to every request.

    pyvo issues its requests through a session without a timeout; handing it this one
    bounds every call.
    """

    def __init__(self, connect_timeout: float = 10.0, read_timeout: float = 60.0) -> None:
        super().__init__()
        self.default_timeout = (connect_timeout, read_timeout)
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


def make_session(options: FetchOptions) -> TimeoutSession:
    """A session with the options' timeouts and a connection pool for ``parallel`` threads."""
    session = TimeoutSession(options.connect_timeout, options.read_timeout)
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(10, options.parallel))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _status_error(response: requests.Response) -> FetchError:
    status = response.status_code
    text = f"HTTP {status} {response.reason or ''}".strip()
    if status == 204:
        return FetchError(f"{text}: the service returned no data (no overlap with the request?)")
    if 400 <= status < 500 and status != 429:
        body = " ".join(response.text[:300].split()) if response.text else ""
        return FetchError(f"{text}: {body}" if body else text)
    return FetchError(text, transient=True)


def _stream_to(response: requests.Response, target: Path, options: FetchOptions) -> None:
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > options.max_bytes:
        raise FetchError(f"larger than {options.max_mb} MB ({int(length)} bytes announced)")
    written = 0
    with target.open("wb") as out:
        for block in response.iter_content(_BLOCK):
            written += len(block)
            if written > options.max_bytes:
                raise FetchError(f"larger than {options.max_mb} MB (download aborted)")
            out.write(block)
    if length.isdigit() and written < int(length):
        raise FetchError(f"truncated transfer: {written} of {length} bytes", transient=True)


def _attempt(url: str, dest_dir: Path, options: FetchOptions, session: requests.Session) -> Outcome:
    try:
        with session.get(
            url, stream=True, timeout=(options.connect_timeout, options.read_timeout)
        ) as r:
            if r.status_code != 200:
                raise _status_error(r)
            content_type = r.headers.get("Content-Type", "")
            target = dest_dir / name_for(
                r.url or url, content_type, r.headers.get("Content-Disposition", "")
            )
            try:
                _stream_to(r, target, options)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
    except requests.Timeout:
        raise FetchError(
            f"timed out (no answer within {options.read_timeout:g} s)", transient=True
        ) from None
    except requests.ConnectionError as exc:
        message = "timed out" if "timed out" in str(exc).lower() else "connection failed"
        raise FetchError(f"{message} ({_short(exc)})", transient=True) from None
    except requests.RequestException as exc:
        raise FetchError(f"request failed ({_short(exc)})", transient=True) from None
    problem = html_instead_of_data(target)
    if problem:
        target.unlink(missing_ok=True)
        raise FetchError(problem)
    return Outcome(url, target, content_type=content_type)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."


def retrying(
    url: str, options: FetchOptions, attempt: Callable[[], Outcome], sleep: Callable = time.sleep
) -> Outcome:
    """Call ``attempt`` until it succeeds, fails permanently or runs out of retries."""
    tries = 0
    while True:
        tries += 1
        try:
            outcome = attempt()
        except FetchError as exc:
            if not exc.transient or tries > options.retries:
                suffix = f" after {tries} attempts" if tries > 1 else ""
                return Outcome(url, None, error=f"{exc}{suffix}", attempts=tries)
            logger.info("retrying %s after: %s", url, exc)
            sleep(options.delay(tries))
            continue
        return Outcome(outcome.url, outcome.path, content_type=outcome.content_type, attempts=tries)


def download_http(
    url: str, dest_dir: Path, options: FetchOptions, session: requests.Session | None = None
) -> Outcome:
    """Download one http(s) URL into ``dest_dir`` (created); never raises for network trouble.

    Parameters
    ----------
    url : str
        An ``http://`` or ``https://`` URL.
    dest_dir : Path
        Directory that receives the file, named after the server's or the URL's file name.
    options : FetchOptions
        Timeouts, size cap and retry policy.
    session : requests.Session, optional
        Connection pool to use (a new one when omitted).

    Returns
    -------
    Outcome
        The local path, or the reason for the failure (an HTML page served instead of
        data, a 4xx status, a size above the cap, timeouts after all retries...).
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    own = session is None
    session = session or make_session(options)
    try:
        return retrying(url, options, lambda: _attempt(url, dest_dir, options, session))
    finally:
        if own:
            with contextlib.suppress(Exception):
                session.close()
