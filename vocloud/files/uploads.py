"""An upload handler that stops a request as soon as it is too big, before it is stored.

Django streams uploaded files to memory or to temporary files; this handler sits in front
of those and refuses a file over the single-upload limit, or a request bigger than the
free quota, while the bytes arrive. The view then shows ``refusal`` and writes nothing.
The file manager and the UWS API (job uploads) both put it first in their requests'
upload handlers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from services.storage.listing import human_size
from services.storage.quota import Quota, QuotaExceeded

DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024**3
# multipart headers and form fields: a request may exceed its files' total by this much
_OVERHEAD_BYTES = 1024**2


def max_upload_bytes() -> int:
    return int(getattr(settings, "VOCLOUD_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


class LimitedUploadHandler(FileUploadHandler):
    """``quota``: the uploader's quota, or a callable giving it once the body is read (None:
    no quota check, only the per-file limit)."""

    def __init__(
        self, request, quota: Quota | Callable[[], Quota | None] | None, max_file_bytes: int
    ) -> None:
        super().__init__(request)
        self._quota = quota
        self.max_file_bytes = max_file_bytes
        self.refusal = ""
        self._request_bytes = 0
        self._file_bytes = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self._request_bytes = content_length or 0

    @property
    def quota(self) -> Quota | None:
        if callable(self._quota):
            self._quota = self._quota()
        return self._quota

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self._file_bytes = 0
        quota = self.quota
        if quota is not None and self._request_bytes > quota.free_bytes + _OVERHEAD_BYTES:
            self._refuse_quota(quota, self._request_bytes)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self._file_bytes += len(raw_data)
        if self._file_bytes > self.max_file_bytes:
            self.refusal = (
                f"Upload refused: {self.file_name} is bigger than the "
                f"{human_size(self.max_file_bytes)} allowed for one file."
            )
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file

    def _refuse_quota(self, quota: Quota, needed: int) -> None:
        try:
            quota.check(needed, "Upload")
        except QuotaExceeded as exc:
            self.refusal = str(exc)
            raise StopUpload(connection_reset=False) from None
