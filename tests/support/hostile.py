"""Real servers that behave like an attacker's archive, on 127.0.0.2 (``REMOTE_HOST``).

``HostileHttp``: directory listings whose links climb out of the listing (``%2e%2e/``,
encoded slashes), pages that trickle forever, endless or gzip-bomb bodies, redirects to any
URL. ``HostileFtp``: an FTP server whose listings name ``../`` paths and names with
slashes. Both serve the same real FITS spectrum for any ``*.fits`` path, so that a client
that follows the tricks would really store a file where it must not.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from astropy.io import fits as fits_io
from pyftpdlib.handlers import FTPHandler

from tests.support.ftp_server import FtpServer
from tests.support.remote import REMOTE_HOST

ESCAPING_LINKS = [  # hrefs in the hostile listing of /list/
    "%2e%2e/%2e%2e/%2e%2e/escaped-http-1.fits",
    "..%2F..%2F..%2Fescaped-http-2.fits",
    "sub%2F..%2F..%2F..%2F..%2Fescaped-http-3.fits",
    "%2e%2e%2f%2e%2e%2fescaped-http-4.pth.fits",
    "deep/%2E%2E/%2E%2E/%2E%2E/escaped-http-5.fits",
    "plain.fits",
]


def fits_variant(fits: bytes, tag: str) -> bytes:
    """The spectrum with ``tag`` in its header and its flux scaled by a factor drawn from
    ``tag``: another spectrum to the platform (dedupe reads the arrays, not the bytes), so
    no variant is skipped as a duplicate of another."""
    with fits_io.open(io.BytesIO(fits)) as hdus:
        hdus[0].header["VCLTAG"] = tag[-60:]
        data = np.array(hdus[0].data, dtype=np.float64)  # (n_pix,) or (n_rows, n_pix)
        flux = data[0] if data.ndim > 1 else data  # row 0 is the flux of a row-stacked file
        flux *= 1 + (zlib.crc32(tag.encode()) % 1000 + 1) * 1e-4
        hdus[0].data = data.astype(hdus[0].data.dtype)
        out = io.BytesIO()
        hdus.writeto(out)
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        app: HostileHttp = self.server.app  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        app.hits.append(self.path)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if parts.path.startswith("/list/") and parts.path.endswith("/"):
                links = "".join(f'<a href="{href}">x</a>\n' for href in ESCAPING_LINKS)
                page = f"<html><head><title>Index of /list/</title></head><body>{links}</body>"
                return self._send(200, page.encode(), "text/html")
            if parts.path.endswith(".fits"):
                return self._send(200, fits_variant(app.fits, self.path), "application/fits")
            if parts.path == "/loop":
                return self._send(302, b"", "text/plain", {"Location": "/loop"})
            if parts.path == "/redirect":
                return self._send(302, b"", "text/plain", {"Location": query["to"]})
            if parts.path == "/trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/fits")
                self.end_headers()
                for _ in range(int(query.get("n", "600"))):
                    self.wfile.write(b"S")
                    self.wfile.flush()
                    time.sleep(0.1)
                return None
            if parts.path == "/endless":
                self.send_response(200)
                self.send_header("Content-Type", query.get("type", "application/fits"))
                self.end_headers()
                block = b"<a href='x'>x</a>" * 4096
                while True:
                    self.wfile.write(block)
            if parts.path == "/gzip-bomb":
                body = gzip.compress(b"\0" * (200 * 1024**2), compresslevel=9)
                headers = {"Content-Encoding": "gzip"}
                return self._send(200, body, query.get("type", "application/fits"), headers)
            if parts.path == "/error-page":
                page = b"<html><title>redis_version:7.0.15 SECRET-BANNER</title>internal</html>"
                return self._send(403, page, "text/html")
            return self._send(404, b"not here", "text/plain")


class HostileHttp:
    """``with HostileHttp(fits_bytes) as server: server.url + "/list/"``"""

    def __init__(self, fits: bytes) -> None:
        self.fits = fits
        self.hits: list[str] = []
        self._httpd = ThreadingHTTPServer((REMOTE_HOST, 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.app = self  # type: ignore[attr-defined]
        self._httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]

    @property
    def url(self) -> str:
        return f"http://{REMOTE_HOST}:{self._httpd.server_address[1]}"

    def __enter__(self) -> HostileHttp:
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


ESCAPING_NAMES = [  # what the hostile FTP server lists in every directory
    "../../../escaped-ftp-1.fits",
    "sub/../../../escaped-ftp-2.fits",
    "..",
    ".",
    "evil\\..\\..\\escaped-ftp-3.fits",
    "plain-ftp.fits",
]


class _HostileFtpHandler(FTPHandler):
    fits = b""

    def ftp_MLSD(self, path: str) -> str:
        lines = "".join(f"type=file;size={len(self.fits)}; {name}\r\n" for name in ESCAPING_NAMES)
        self.push_dtp_data(lines.encode(), cmd="MLSD")
        return path

    def ftp_RETR(self, file: str) -> None:
        self.push_dtp_data(fits_variant(self.fits, file), cmd="RETR")


def HostileFtp(root: Path, fits: bytes) -> FtpServer:
    """Anonymous FTP whose listings hold ``../`` names; any RETR answers the FITS file."""
    handler = type("HostileHandler", (_HostileFtpHandler,), {"fits": fits})
    return FtpServer(root, handler=handler)
