"""Downloading spectra from the web: HTTP(S) and FTP files, directory listings, URL lists.

Every fetch follows one policy (:mod:`services.fetch.policy`): public addresses only unless
allowed, checked at connection time and on every redirect, a byte cap on every body and a
deadline on every request.

Public API
----------
FetchPolicy, parse_allow, Refused
    Where fetches may go and how much they may take; a refusal.
GuardedSession
    A ``requests.Session`` that applies a policy to every request (hand it to pyvo too).
FetchOptions
    Policy, parallelism, connect/read timeouts, size cap, retries and back-off.
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
    A :class:`GuardedSession` under the options' policy and timeouts.
fetch_document(session, url, params=None) -> bytes
    A small document (listing, VOTable) read into memory under the policy's cap.
FetchError
    A failure with a readable message; ``transient`` says whether a retry may help.
"""

from services.fetch.ftp import crawl_ftp
from services.fetch.guard import GuardedSession
from services.fetch.http import make_session
from services.fetch.listing import crawl_http, fetch_document, is_supported, read_url_list
from services.fetch.options import FetchError, FetchOptions, Outcome
from services.fetch.policy import FetchPolicy, Refused, parse_allow
from services.fetch.pool import download, download_all
from services.fetch.sniff import html_instead_of_data

__all__ = [
    "FetchError",
    "FetchOptions",
    "FetchPolicy",
    "GuardedSession",
    "Outcome",
    "Refused",
    "crawl_ftp",
    "crawl_http",
    "download",
    "download_all",
    "fetch_document",
    "html_instead_of_data",
    "is_supported",
    "make_session",
    "parse_allow",
    "read_url_list",
]
