"""HTTP(S) downloads under the fetch policy, with a size cap and retries with back-off."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

import requests

from services.fetch.guard import GuardedSession, iter_body
from services.fetch.names import name_for
from services.fetch.options import FetchError, FetchOptions, Outcome
from services.fetch.sniff import html_instead_of_data

logger = logging.getLogger(__name__)

_BLOCK = 1 << 16


def make_session(options: FetchOptions) -> GuardedSession:
    """A session under the options' policy, with their timeouts and a pool for ``parallel``."""
    return GuardedSession(
        options.policy,
        options.connect_timeout,
        options.read_timeout,
        pool_size=max(10, options.parallel),
    )


def status_error(response: requests.Response) -> FetchError:
    """The HTTP status as one sentence; the body is never shown (it may be anyone's page)."""
    status = response.status_code
    text = f"HTTP {status} {response.reason or ''}".strip()[:80]
    if status == 204:
        return FetchError(f"{text}: the service returned no data (no overlap with the request?)")
    return FetchError(text, transient=status >= 500 or status == 429)


def _stream_to(response: requests.Response, target: Path) -> None:
    length = response.headers.get("Content-Length", "")
    written = 0
    with target.open("wb") as out:
        for block in iter_body(response, _BLOCK):
            written += len(block)
            out.write(block)
    if length.isdigit() and written < int(length):
        raise FetchError(f"truncated transfer: {written} of {length} bytes", transient=True)


def _attempt(url: str, dest_dir: Path, options: FetchOptions, session: requests.Session) -> Outcome:
    response = session.get(url, stream=True, max_bytes=options.max_bytes)
    with response:
        if response.status_code != 200:
            raise status_error(response)
        content_type = response.headers.get("Content-Type", "")
        target = dest_dir / name_for(
            response.url or url, content_type, response.headers.get("Content-Disposition", "")
        )
        try:
            _stream_to(response, target)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    problem = html_instead_of_data(target)
    if problem:
        target.unlink(missing_ok=True)
        raise FetchError(problem)
    return Outcome(url, target, content_type=content_type)


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
        Policy, timeouts, size cap and retry policy.
    session : GuardedSession, optional
        Connection pool to use (a new one under ``options.policy`` when omitted).

    Returns
    -------
    Outcome
        The local path, or the reason for the failure (an address the policy refuses, an
        HTML page served instead of data, a 4xx status, a size above the cap, the deadline,
        timeouts after all retries...).
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
