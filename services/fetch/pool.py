"""Download many URLs at once, with bounded parallelism."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import requests

from services.fetch.ftp import ftp_attempt
from services.fetch.http import download_http, make_session, retrying
from services.fetch.listing import is_supported
from services.fetch.options import FetchOptions, Outcome


def download(
    url: str, dest_dir: Path, options: FetchOptions, session: requests.Session | None = None
) -> Outcome:
    """Download one http(s) or ftp URL into ``dest_dir``; failures come back in the outcome."""
    if not is_supported(url):
        return Outcome(url, None, error="unsupported URL (only http, https and ftp)")
    dest_dir.mkdir(parents=True, exist_ok=True)
    if url.lower().startswith("ftp://"):
        return retrying(url, options, lambda: ftp_attempt(url, dest_dir, options))
    return download_http(url, dest_dir, options, session)


def download_all(
    urls: Iterable[tuple[str, Path]], options: FetchOptions
) -> Iterator[tuple[int, Outcome]]:
    """Download each ``(url, dest_dir)`` with ``options.parallel`` threads.

    Parameters
    ----------
    urls : iterable of (str, Path)
        What to fetch and where; give each URL its own directory so that equal file
        names from different servers cannot collide.
    options : FetchOptions
        Parallelism, timeouts, size cap and retries.

    Yields
    ------
    index, outcome : int, Outcome
        In order of completion; ``index`` is the position in ``urls``.
    """
    local = threading.local()
    sessions: list[requests.Session] = []
    lock = threading.Lock()

    def session() -> requests.Session:
        # one session per thread: requests does not promise that sessions are thread-safe
        if not hasattr(local, "session"):
            local.session = make_session(options)
            with lock:
                sessions.append(local.session)
        return local.session

    pool = ThreadPoolExecutor(max_workers=max(1, options.parallel), thread_name_prefix="fetch")
    try:
        futures = {
            pool.submit(lambda u=url, d=dest: download(u, d, options, session())): index
            for index, (url, dest) in enumerate(urls)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for item in sessions:
            item.close()
