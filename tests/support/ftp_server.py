"""A real FTP server (pyftpdlib) on 127.0.0.2 (``REMOTE_HOST``), in a thread.

``with FtpServer(root) as ftp:``
"""

from __future__ import annotations

import threading
from pathlib import Path

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

from tests.support.remote import REMOTE_HOST


class _NoMlsdHandler(FTPHandler):
    """A server without MLSD, as some old archives are: clients must fall back to NLST."""

    proto_cmds = {k: v for k, v in FTPHandler.proto_cmds.items() if k != "MLSD"}


class FtpServer:
    """Anonymous read-only FTP of ``root``; ``mlsd=False`` removes the MLSD command;
    ``handler``: a handler class of one's own (tests/support/hostile.py's, say)."""

    def __init__(
        self, root: Path, *, mlsd: bool = True, handler: type[FTPHandler] | None = None
    ) -> None:
        authorizer = DummyAuthorizer()
        authorizer.add_anonymous(str(root))
        base = handler or (FTPHandler if mlsd else _NoMlsdHandler)
        handler = type("Handler", (base,), {})
        handler.authorizer = authorizer
        handler.banner = "vocloud test FTP"
        handler.passive_ports = None
        self._server = FTPServer((REMOTE_HOST, 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"timeout": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.address[:2]
        return f"ftp://{host}:{port}"

    def start(self) -> FtpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close_all()
        self._thread.join(5)

    def __enter__(self) -> FtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
