"""Turn the ``ingest`` parameters into a list of items: local files and URLs to fetch."""

from __future__ import annotations

import logging
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import requests

from services.fetch import FetchError, FetchOptions, crawl_ftp, crawl_http, read_url_list
from services.ingest.parameters import Parameters
from services.storage.archives import ArchiveError, extract, is_archive
from services.vo import VOError, parse_pos, ssap_query, votable_access_rows

logger = logging.getLogger(__name__)


@dataclass
class Item:
    """One thing to ingest.

    Parameters
    ----------
    source : str
        What the user recognises in the report (URL, archive member, upload name).
    url : str
        URL to download ("" for a local file).
    local : Path or None
        A file already on disk (an upload or an archive member).
    subdir : str
        Folder under the target that keeps the source's structure ("" for the top).
    datalink : bool
        The URL is known to be a DataLink document.
    note : str
        A remark carried into the report (e.g. how DataLink was resolved).
    """

    source: str
    url: str = ""
    local: Path | None = None
    subdir: str = ""
    datalink: bool = False
    note: str = ""


@dataclass
class Gathered:
    """Items to ingest, sources that failed as a whole, and remarks for the report."""

    items: list[Item] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    notes: list[str] = field(default_factory=list)
    truncated: bool = False


def gather(
    params: Parameters, work_dir: Path, options: FetchOptions, session: requests.Session
) -> Gathered:
    """Collect the items of every source given; a failing source is recorded, not raised."""
    found = Gathered()
    steps = [
        (params.upload, lambda: _upload(params.upload, work_dir / "upload")),
        (params.url, lambda: _url(params.url, params.depth, options, session)),
        (params.url_list, lambda: [Item(u, url=u) for u in read_url_list(params.url_list)]),
        (params.votable, lambda: _votable(params.votable, session)),
        (params.votable_url, lambda: _votable(params.votable_url, session)),
        (params.ssap_url, lambda: _ssap(params, session, found)),
    ]
    for value, step in steps:
        if not value:
            continue
        try:
            found.items.extend(step())
        except (FetchError, VOError, ArchiveError) as exc:
            found.failures.append((_name(value), str(exc)))
    return found


def _name(value: object) -> str:
    return value.name if isinstance(value, Path) else str(value)


def _upload(path: Path, dest: Path) -> list[Item]:
    """Extract an archive safely (``..``, links and bombs are refused) or take the file."""
    if not _looks_like_archive(path):
        return [Item(path.name, local=path)]
    files = extract(path, dest)
    items = []
    for file in sorted(files):
        member = file.relative_to(dest).as_posix()
        subdir = file.parent.relative_to(dest).as_posix()
        items.append(
            Item(f"{path.name}:{member}", local=file, subdir="" if subdir == "." else subdir)
        )
    return items


def _looks_like_archive(path: Path) -> bool:
    """By name, or by content (a client may send an archive under any name)."""
    if is_archive(path.name) or zipfile.is_zipfile(path):
        return True
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic[:2] == b"\x1f\x8b" or magic[:3] == b"BZh" or path.stat().st_size >= 512:
        try:
            return tarfile.is_tarfile(path)
        except (OSError, EOFError, tarfile.TarError):
            return False
    return False


def _url(url: str, depth: int, options: FetchOptions, session: requests.Session) -> list[Item]:
    """A file, or every file of a directory listing (HTTP index page or FTP directory)."""
    if url.lower().startswith("ftp://"):
        return _tree(url, crawl_ftp(url, depth, options))
    if url.endswith("/") or _is_html(url, session):
        return _tree(url, crawl_http(url, depth, options, session))
    return [Item(url, url=url)]


def _tree(root: str, urls: list[str]) -> list[Item]:
    """Items that keep the listing's sub-directories under the target folder."""
    base = root if root.endswith("/") else root + "/"
    items = []
    for url in urls:
        relative = url[len(base) :] if url.startswith(base) else ""
        subdir = relative.rsplit("/", 1)[0] if "/" in relative else ""
        items.append(Item(url, url=url, subdir=requests.utils.unquote(subdir)))
    return items


def _is_html(url: str, session: requests.Session) -> bool:
    """Whether ``url`` answers with an HTML page (then it is taken as a directory listing)."""
    try:
        with session.get(url, stream=True) as response:
            kind = response.headers.get("Content-Type", "").lower()
            return response.status_code == 200 and "html" in kind
    except requests.RequestException:
        return False  # the download reports the error with retries


def _votable(source: Path | str, session: requests.Session) -> list[Item]:
    rows = votable_access_rows(source, session)
    return [Item(row.url, url=row.url, datalink=row.is_datalink) for row in rows]


def _ssap(params: Parameters, session: requests.Session, found: Gathered) -> list[Item]:
    result = ssap_query(
        params.ssap_url,
        session,
        pos=parse_pos(params.pos) if params.pos else None,
        size=params.size,
        band=params.band,
        time=params.time,
        format=params.format,
        maxrec=params.maxrec,
    )
    if result.truncated:
        found.truncated = True
        found.notes.append(
            f"the SSAP result was truncated at MAXREC={params.maxrec} rows (QUERY_STATUS=OVERFLOW)"
        )
    want_cutout = bool(params.soda_band or params.soda_circle) and params.datalink
    items = []
    for index, row in enumerate(result.rows):
        link = result.datalinks[index] if index < len(result.datalinks) else ""
        if want_cutout and link and not row.is_datalink:
            items.append(Item(row.url, url=link, datalink=True))
        else:
            items.append(Item(row.url, url=row.url, datalink=row.is_datalink))
    logger.info("SSAP %s: %d rows", params.ssap_url, len(items))
    return items
