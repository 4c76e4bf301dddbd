"""Lists of URLs: Apache/nginx directory-index pages, crawled recursively, and URL files."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import requests

from services.fetch.http import status_error
from services.fetch.options import FetchError, FetchOptions

SCHEMES = ("http", "https", "ftp")
MAX_PAGES = 10_000  # index pages one crawl may read


class _LinkParser(HTMLParser):
    """Collects the ``href`` of every ``<a>`` element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.lower() == "a":
            for name, value in attrs:
                if name.lower() == "href" and value:
                    self.hrefs.append(value.strip())


def index_links(html: str, page_url: str, root_url: str) -> tuple[list[str], list[str]]:
    """Files and sub-directories linked from an index page, staying under ``root_url``.

    Sort links (``?C=N;O=D``), fragments, the parent directory and anything outside
    ``root_url`` are skipped.

    Returns
    -------
    files, directories : list of str
        Absolute URLs, in page order, without duplicates; directories end with ``/``.
    """
    parser = _LinkParser()
    parser.feed(html)
    files: list[str] = []
    directories: list[str] = []
    page = urlsplit(page_url)
    for href in parser.hrefs:
        absolute, _fragment = urldefrag(urljoin(page_url, href))
        parts = urlsplit(absolute)
        if parts.query or parts.scheme not in ("http", "https") or parts.netloc != page.netloc:
            continue
        if not absolute.startswith(root_url) or len(absolute) <= len(page_url.split("?")[0]):
            continue  # the parent directory, the page itself, or outside the start URL
        bucket = directories if absolute.endswith("/") else files
        if absolute not in bucket:
            bucket.append(absolute)
    return files, directories


def crawl_http(url: str, depth: int, options: FetchOptions, session: requests.Session) -> list[str]:
    """URLs of the files listed under an HTTP directory index, recursively.

    Parameters
    ----------
    url : str
        The index page; a missing trailing ``/`` is added for the root check.
    depth : int
        Levels of sub-directories to follow: 0 lists only the start page's files.
    options : FetchOptions
        The policy caps each page (``max_document_bytes``), the files found
        (``max_listed``) and the whole crawl's time (``deadline_s``); retries are not used:
        a listing that fails is an error.
    session : GuardedSession
        Connection pool under the same policy.

    Raises
    ------
    FetchError
        If a page cannot be fetched or is not an HTML page, or a limit is reached.
    """
    root = url if url.endswith("/") else url + "/"
    policy = options.policy
    deadline = time.monotonic() + policy.deadline_s
    found: dict[str, None] = {}
    seen: set[str] = set()
    pending = [(root, 0)]
    while pending:
        page, level = pending.pop(0)
        if page in seen:
            continue
        if len(seen) >= MAX_PAGES or time.monotonic() > deadline:
            raise FetchError(
                f"the directory listing is too large (more than {len(seen)} pages, or longer "
                f"than {policy.deadline_s:g} s to read): ingest its sub-directories one by one"
            )
        seen.add(page)
        html = _fetch_index(page, session)
        files, directories = index_links(html, page, root)
        found.update(dict.fromkeys(files))
        if len(found) > policy.max_listed:
            raise FetchError(f"the directory listing holds more than {policy.max_listed} files")
        if level < depth:
            pending.extend((d, level + 1) for d in directories)
    return list(found)


def fetch_document(
    session: requests.Session, url: str, params: dict[str, Any] | None = None
) -> requests.Response:
    """A document read into memory under the policy's document cap and deadline.

    Raises
    ------
    FetchError
        If it cannot be fetched (one sentence: the status, never the remote body), or is
        larger than the cap.
    """
    response = session.get(url, params=params)
    if response.status_code != 200:
        raise status_error(response)
    return response


def _fetch_index(url: str, session: requests.Session) -> str:
    try:
        response = fetch_document(session, url)
    except FetchError as exc:
        raise FetchError(f"directory listing {url}: {exc}") from None
    if "html" not in response.headers.get("Content-Type", "").lower():
        raise FetchError(f"{url} is not a directory listing (not an HTML page)")
    return response.text


def read_url_list(path: Path) -> list[str]:
    """URLs from a text file: one per line; blank lines and ``#`` comments are ignored.

    Lines that are not http(s) or ftp URLs are returned too: the downloader reports
    them as failures, so the user sees each bad line in the report.

    Raises
    ------
    FetchError
        If the file is not text.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FetchError(f"{path.name}: not a UTF-8 text file of URLs") from None
    urls = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            urls.append(line)
    return urls


def is_supported(url: str) -> bool:
    """True for http(s) and ftp URLs with a host."""
    parts = urlsplit(url)
    return parts.scheme.lower() in SCHEMES and bool(parts.netloc)
