"""The real local HTTP and FTP servers, shared with the ingestion tests."""

from tests.services.ingest.conftest import (
    ftp_server,
    real,
    small_vo_server,
    static_server,
    synthetic,
    tree,
)

__all__ = ["ftp_server", "real", "small_vo_server", "static_server", "synthetic", "tree"]
