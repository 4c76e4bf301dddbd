"""Downloading spectra from the web: HTTP(S) and FTP files, directory listings, URL lists.

Public API
----------
FetchOptions
    Parallelism, connect/read timeouts, size cap, retries and back-off.
Outcome
    Per-URL result: ``url``, local ``path`` or ``error`` message, ``content_type``.
download(url, dest_dir, options) -> Outcome
    One URL, with retries on transient errors (connection, timeout, HTTP 5xx/429).
download_all(pairs, options) -> iterator of (index, Outcome)
    Many URLs with a bounded thread pool, yielded as they complete.
crawl_http(url, depth, options, session), crawl_ftp(url, depth, options)
    File URLs under a directory listing (Apache/nginx index pages, FTP MLSD/NLST).
read_url_list(path)
    URLs of a text file, one per line, ``#`` comments.
make_session(options)
    A ``requests.Session`` whose every request carries the options' timeouts.
FetchError
    A failure with a readable message; ``transient`` says whether a retry may help.
"""

from services.fetch.ftp import crawl_ftp
from services.fetch.http import TimeoutSession, make_session
from services.fetch.listing import crawl_http, is_supported, read_url_list
from services.fetch.options import FetchError, FetchOptions, Outcome
from services.fetch.pool import download, download_all
from services.fetch.sniff import html_instead_of_data

__all__ = [
    "FetchError",
    "FetchOptions",
    "Outcome",
    "TimeoutSession",
    "crawl_ftp",
    "crawl_http",
    "download",
    "download_all",
    "html_instead_of_data",
    "is_supported",
    "make_session",
    "read_url_list",
]
