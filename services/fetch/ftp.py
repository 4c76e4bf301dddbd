"""FTP under the fetch policy: list a directory tree (MLSD, NLST fallback) and download files.

The control connection goes to an address the policy allowed (resolved once, checked, then
connected to); passive data connections go to that same address (the server's PASV address
is never trusted). Every operation runs under a :class:`~services.fetch.guard.Budget`: its
deadline closes the sockets, its byte cap bounds what a listing or a file may send. Names in
listings are used only through :func:`~services.fetch.names.safe_segment` (never as paths),
and what users read of a failure is the reply code with its standard meaning, not the
server's text.
"""

from __future__ import annotations

import ftplib
import posixpath
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from services.fetch.guard import Budget
from services.fetch.names import clean_name
from services.fetch.options import FetchError, FetchOptions, Outcome
from services.fetch.policy import FetchPolicy, check_url
from services.fetch.sniff import html_instead_of_data

_REPLY_MEANING = {
    "421": "the server is not available",
    "425": "the data connection could not be opened",
    "426": "the transfer was aborted",
    "430": "the login was refused",
    "450": "the file is busy",
    "451": "the server failed",
    "452": "the server has no room",
    "500": "the command was not understood",
    "501": "bad arguments",
    "502": "the command is not implemented",
    "530": "the login was refused",
    "550": "no such file or not allowed",
    "551": "the page type is unknown",
    "552": "the file is too large for the server",
    "553": "the file name is not allowed",
}


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
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ftp://{auth}{host}:{self.port}{quote(path)}"


def parse_ftp_url(url: str) -> FtpLocation:
    """Split ``ftp://[user[:password]@]host[:port]/path``; anonymous when no user is given."""
    check_url(url, ("ftp",))
    parts = urlsplit(url)
    return FtpLocation(
        host=parts.hostname or "",
        port=parts.port or 21,
        user=unquote(parts.username or "anonymous"),
        password=unquote(parts.password or "anonymous@"),
        path=unquote(parts.path) or "/",
    )


def reply_text(exc: BaseException) -> str:
    """``FTP 550 (no such file or not allowed)`` from an ftplib error: the code, not the text."""
    code = str(exc)[:3]
    if code.isdigit():
        return f"FTP {code} ({_REPLY_MEANING.get(code, 'refused by the server')})"
    return "the FTP server answered something unexpected"


class GuardedFTP(ftplib.FTP):
    """``ftplib.FTP`` that connects only where the policy allows and watches its sockets."""

    trust_server_pasv_ipv4_address = False  # PASV's address could point anywhere: ignore it

    def __init__(self, policy: FetchPolicy, budget: Budget, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.policy = policy
        self.budget = budget

    def connect(self, host: str = "", port: int = 0, *args: Any, **kwargs: Any) -> str:
        error: OSError | None = None
        for _family, sockaddr in self.policy.addresses(host, port):  # raises Refused
            try:
                welcome = super().connect(sockaddr[0], port, *args, **kwargs)
            except OSError as exc:
                error = exc
                continue
            self.budget.watch(self.sock)
            return welcome
        raise error or OSError("no address to connect to")

    def ntransfercmd(self, cmd: str, rest: Any = None) -> tuple[socket.socket, int | None]:
        conn, size = super().ntransfercmd(cmd, rest)
        self.budget.watch(conn)
        return conn, size


def _connect(where: FtpLocation, options: FetchOptions, budget: Budget) -> GuardedFTP:
    ftp = GuardedFTP(options.policy, budget, options.connect_timeout)
    ftp.connect(where.host, where.port)
    if ftp.sock is not None:
        ftp.sock.settimeout(options.read_timeout)
    ftp.timeout = options.read_timeout  # data connections
    ftp.login(where.user, where.password)
    return ftp


def _failure(exc: BaseException, what: str, budget: Budget) -> FetchError:
    """One sentence for a failed FTP operation."""
    if isinstance(exc, FetchError):
        return exc
    if budget.expired:
        return budget.timeout_error()
    if isinstance(exc, ftplib.error_perm | ftplib.error_reply | ftplib.error_temp):
        return FetchError(
            f"{what}: {reply_text(exc)}", transient=isinstance(exc, ftplib.error_temp)
        )
    if isinstance(exc, TimeoutError):
        return FetchError(f"{what}: timed out", transient=True)
    if isinstance(exc, ConnectionRefusedError):
        return FetchError(f"{what}: the server refused the connection", transient=True)
    return FetchError(f"{what}: the connection failed", transient=True)


def _lines(ftp: GuardedFTP, command: str) -> list[str]:
    """The lines a listing command sends, counted against the budget's byte cap."""
    lines: list[str] = []

    def take(line: str) -> None:
        ftp.budget.count(len(line) + 2)
        lines.append(line)

    ftp.retrlines(command, take)
    return lines


def _entries(ftp: GuardedFTP, path: str) -> list[tuple[str, bool]]:
    """(name, is_directory) of the entries of ``path``; names that are not plain names
    (``.``, ``..``, anything with a separator) are left out."""
    try:
        entries = []
        for line in _lines(ftp, f"MLSD {path}"):
            facts_text, _, name = line.rstrip().partition(" ")
            facts = dict(fact.split("=", 1) for fact in facts_text.split(";") if "=" in fact)
            kind = {k.lower(): v.lower() for k, v in facts.items()}.get("type", "")
            if kind in ("dir", "file"):
                entries.append((name, kind == "dir"))
        return [(n, d) for n, d in entries if _plain(n)]
    except ftplib.error_perm:
        pass  # no MLSD: NLST, then a CWD probe tells directories from files
    entries = []
    for full in _lines(ftp, f"NLST {path}"):
        name = posixpath.basename(full.rstrip("/"))
        if not _plain(name):
            continue
        try:
            ftp.cwd(posixpath.join(path, name))
            entries.append((name, True))
        except ftplib.error_perm:
            entries.append((name, False))
    return entries


def _plain(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def crawl_ftp(url: str, depth: int, options: FetchOptions) -> list[str]:
    """URLs of the files under an ``ftp://`` directory, ``depth`` levels of sub-directories deep.

    ``depth=0`` lists the directory's own files. A URL naming a file is returned as is. The
    whole crawl runs under one budget (the policy's deadline and document cap).

    Raises
    ------
    FetchError
        If the server is refused by the policy, cannot be reached, refuses the listing,
        or the listing exceeds the policy's limits.
    """
    where = parse_ftp_url(url)
    policy = options.policy
    budget = Budget(policy.deadline_s, policy.max_document_bytes)
    try:
        ftp = _connect(where, options, budget)
    except (OSError, EOFError, ftplib.Error, FetchError) as exc:
        budget.done()
        raise _failure(exc, f"FTP {where.host}:{where.port}", budget) from None
    try:
        try:
            ftp.cwd(where.path)
        except ftplib.error_perm:
            return [url]  # a file
        found: list[str] = []
        _walk(ftp, where, where.path, depth, found, policy.max_listed)
        return found
    except (OSError, EOFError, ftplib.Error, FetchError) as exc:
        raise _failure(exc, f"FTP listing of {url}", budget) from None
    finally:
        _quit(ftp)
        budget.done()


def _walk(
    ftp: GuardedFTP, where: FtpLocation, path: str, depth: int, found: list[str], cap: int
) -> None:
    for name, is_dir in sorted(_entries(ftp, path)):
        child = posixpath.join(path, name)
        if is_dir and depth > 0:
            _walk(ftp, where, child, depth - 1, found, cap)
        elif not is_dir:
            found.append(where.url(child))
            if len(found) > cap:
                raise FetchError(f"the FTP listing holds more than {cap} files")


def _quit(ftp: ftplib.FTP) -> None:
    try:
        ftp.quit()
    except (OSError, EOFError, ftplib.Error):
        ftp.close()


def ftp_attempt(url: str, dest_dir: Path, options: FetchOptions) -> Outcome:
    """One try at downloading an ``ftp://`` file; raises :class:`FetchError`."""
    where = parse_ftp_url(url)
    target = dest_dir / clean_name(posixpath.basename(where.path))
    budget = Budget(options.policy.deadline_s, options.max_bytes)

    def write(block: bytes) -> None:
        budget.count(len(block))
        out.write(block)

    try:
        ftp = _connect(where, options, budget)
        try:
            with target.open("wb") as out:
                ftp.retrbinary(f"RETR {where.path}", write)
        finally:
            ftp.close()
        if budget.expired:
            raise budget.timeout_error()
    except (FetchError, OSError, EOFError, ftplib.Error) as exc:
        target.unlink(missing_ok=True)
        raise _failure(exc, "FTP download", budget) from None
    finally:
        budget.done()
    problem = html_instead_of_data(target)
    if problem:
        target.unlink(missing_ok=True)
        raise FetchError(problem)
    return Outcome(url, target)
