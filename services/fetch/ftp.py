"""FTP: list a directory tree (MLSD, with an NLST fallback) and download files (ftplib)."""

from __future__ import annotations

import ftplib
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from services.fetch.names import clean_name
from services.fetch.options import FetchError, FetchOptions, Outcome
from services.fetch.sniff import html_instead_of_data


@dataclass(frozen=True)
class FtpLocation:
    """The parts of an ``ftp://`` URL."""

    host: str
    port: int
    user: str
    password: str
    path: str

    def url(self, path: str) -> str:
        auth = f"{quote(self.user)}@" if self.user != "anonymous" else ""
        return f"ftp://{auth}{self.host}:{self.port}{quote(path)}"


def parse_ftp_url(url: str) -> FtpLocation:
    """Split ``ftp://[user[:password]@]host[:port]/path``; anonymous when no user is given."""
    parts = urlsplit(url)
    if parts.scheme != "ftp" or not parts.hostname:
        raise FetchError(f"not an ftp:// URL: {url}")
    return FtpLocation(
        host=parts.hostname,
        port=parts.port or 21,
        user=unquote(parts.username or "anonymous"),
        password=unquote(parts.password or "anonymous@"),
        path=unquote(parts.path) or "/",
    )


def _connect(where: FtpLocation, options: FetchOptions) -> ftplib.FTP:
    ftp = ftplib.FTP(timeout=options.connect_timeout)
    ftp.connect(where.host, where.port, timeout=options.connect_timeout)
    if ftp.sock is not None:
        ftp.sock.settimeout(options.read_timeout)
    ftp.login(where.user, where.password)
    return ftp


def _entries(ftp: ftplib.FTP, path: str) -> list[tuple[str, bool]]:
    """(name, is_directory) of the entries of ``path``."""
    try:
        return [
            (name, facts.get("type", "").lower() == "dir")
            for name, facts in ftp.mlsd(path, facts=["type"])
            if facts.get("type", "").lower() in ("dir", "file")
        ]
    except ftplib.error_perm:
        pass  # no MLSD: NLST, then a CWD probe tells directories from files
    entries = []
    for full in ftp.nlst(path):
        name = posixpath.basename(full.rstrip("/"))
        if name in (".", ".."):
            continue
        try:
            ftp.cwd(posixpath.join(path, name))
            entries.append((name, True))
        except ftplib.error_perm:
            entries.append((name, False))
    return entries


def crawl_ftp(url: str, depth: int, options: FetchOptions) -> list[str]:
    """URLs of the files under an ``ftp://`` directory, ``depth`` levels of sub-directories deep.

    ``depth=0`` lists the directory's own files. A URL naming a file is returned as is.

    Raises
    ------
    FetchError
        If the server cannot be reached or refuses the listing.
    """
    where = parse_ftp_url(url)
    try:
        ftp = _connect(where, options)
    except (OSError, EOFError, ftplib.Error) as exc:
        raise FetchError(f"FTP {where.host}:{where.port}: {exc}") from None
    try:
        try:
            ftp.cwd(where.path)
        except ftplib.error_perm:
            return [url]  # a file
        found: list[str] = []
        _walk(ftp, where, where.path, depth, found)
        return found
    except (OSError, EOFError, ftplib.Error) as exc:
        raise FetchError(f"FTP listing of {url} failed: {exc}") from None
    finally:
        _quit(ftp)


def _walk(ftp: ftplib.FTP, where: FtpLocation, path: str, depth: int, found: list[str]) -> None:
    for name, is_dir in sorted(_entries(ftp, path)):
        child = posixpath.join(path, name)
        if is_dir and depth > 0:
            _walk(ftp, where, child, depth - 1, found)
        elif not is_dir:
            found.append(where.url(child))


def _quit(ftp: ftplib.FTP) -> None:
    try:
        ftp.quit()
    except (OSError, EOFError, ftplib.Error):
        ftp.close()


def ftp_attempt(url: str, dest_dir: Path, options: FetchOptions) -> Outcome:
    """One try at downloading an ``ftp://`` file; raises :class:`FetchError`."""
    where = parse_ftp_url(url)
    target = dest_dir / clean_name(posixpath.basename(where.path))
    written = 0

    def write(block: bytes) -> None:
        nonlocal written
        written += len(block)
        if written > options.max_bytes:
            raise FetchError(f"larger than {options.max_mb} MB (download aborted)")
        out.write(block)

    try:
        ftp = _connect(where, options)
        try:
            with target.open("wb") as out:
                ftp.retrbinary(f"RETR {where.path}", write)
        finally:
            ftp.close()
    except FetchError:
        target.unlink(missing_ok=True)
        raise
    except ftplib.error_perm as exc:
        target.unlink(missing_ok=True)
        raise FetchError(f"FTP error {exc}") from None
    except (OSError, EOFError, ftplib.Error) as exc:
        target.unlink(missing_ok=True)
        raise FetchError(f"FTP transfer failed ({exc})", transient=True) from None
    problem = html_instead_of_data(target)
    if problem:
        target.unlink(missing_ok=True)
        raise FetchError(problem)
    return Outcome(url, target)
