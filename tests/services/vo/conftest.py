"""The real local VO servers, shared with the ingestion tests."""

from tests.services.ingest.conftest import real, small_vo_server, synthetic, vo_server

__all__ = ["real", "small_vo_server", "synthetic", "vo_server"]
