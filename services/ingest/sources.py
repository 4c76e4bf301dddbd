"""Turn the ``ingest`` parameters into a list of items: local files and URLs to fetch."""

from __future__ import annotations

import dataclasses
import logging
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import requests

from services.fetch import FetchError, FetchOptions, crawl_ftp, crawl_http, read_url_list
from services.fetch.names import relative_folder
from services.ingest.identity import trusted_dids
from services.ingest.parameters import Parameters
from services.storage.archives import ArchiveError, Limits, extract, is_archive
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
    did : str
        The publisher's dataset identifier the service gave ("" if none).
    cut : str
        For a cut-out: what was cut (part of the identity, with ``did``).
    """

    source: str
    url: str = ""
    local: Path | None = None
    subdir: str = ""
    datalink: bool = False
    note: str = ""
    did: str = ""
    cut: str = ""


@dataclass
class Gathered:
    """Items to ingest, sources that failed as a whole, and remarks for the report."""

    items: list[Item] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    notes: list[str] = field(default_factory=list)
    truncated: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # e.g. n_outside_cone -> 8


def gather(
    params: Parameters,
    work_dir: Path,
    options: FetchOptions,
    session: requests.Session,
    room_bytes: int | None = None,
) -> Gathered:
    """Collect the items of every source given; a failing source is recorded, not raised.

    ``room_bytes``: what the owner's quota has free; an uploaded archive that expands to
    more is refused while it is extracted (not after filling the disk).
    """
    found = Gathered()
    limits = Limits()
    if room_bytes is not None:
        limits = dataclasses.replace(
            limits,
            max_total_bytes=min(limits.max_total_bytes, room_bytes),
            total_reason="what your storage quota has free",
        )
    steps = [
        (params.upload, lambda: _upload(params.upload, work_dir / "upload", limits)),
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


def _upload(path: Path, dest: Path, limits: Limits) -> list[Item]:
    """Extract an archive safely (``..``, links and bombs are refused) or take the file."""
    if not _looks_like_archive(path):
        return [Item(path.name, local=path)]
    files = extract(path, dest, limits)
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
    """Items that keep the listing's sub-directories under the target folder.

    The sub-directories are the remote names sanitised into safe folder names (never the
    remote path itself); the storage contains them again when the files are stored.
    """
    return [Item(url, url=url, subdir=relative_folder(url, root)) for url in urls]


def _is_html(url: str, session: requests.Session) -> bool:
    """Whether ``url`` answers with an HTML page (then it is taken as a directory listing)."""
    try:
        with session.get(url, stream=True) as response:
            kind = response.headers.get("Content-Type", "").lower()
            return response.status_code == 200 and "html" in kind
    except FetchError:
        return False  # the download reports the error (a refusal, a timeout) with retries


def _votable(source: Path | str, session: requests.Session) -> list[Item]:
    rows = votable_access_rows(source, session)
    dids = trusted_dids([row.pubdid for row in rows])
    return [
        Item(row.url, url=row.url, datalink=row.is_datalink, did=did)
        for row, did in zip(rows, dids, strict=True)
    ]


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
    if result.cone is not None:
        found.notes.extend(result.notes())
        found.counts["n_outside_cone"] = result.cone.n_outside
        found.counts["n_without_position"] = result.cone.n_without_position
    want_cutout = bool(params.soda_band or params.soda_circle) and params.datalink
    dids = trusted_dids([row.pubdid for row in result.rows])
    items = []
    for index, (row, did) in enumerate(zip(result.rows, dids, strict=True)):
        link = result.datalinks[index] if index < len(result.datalinks) else ""
        if want_cutout and link and not row.is_datalink:
            items.append(Item(row.url, url=link, datalink=True, did=did))
        else:
            items.append(Item(row.url, url=row.url, datalink=row.is_datalink, did=did))
    logger.info("SSAP %s: %d rows", params.ssap_url, len(items))
    return items
