"""Files: list a folder, download, upload (a raw body), make folders, delete."""

from __future__ import annotations

from django.http import JsonResponse

from services.storage import PathEscape
from services.storage.archives import ArchiveError
from services.storage.manager import NoSuchPath, StorageError
from services.storage.quota import QuotaExceeded
from vocloud.api import storage
from vocloud.api.base import ApiView, Refused, whole_number
from vocloud.content import content_response
from vocloud.files import links, operations
from vocloud.files.uploads import max_upload_bytes


def _refusal(exc: Exception) -> Refused:
    if isinstance(exc, NoSuchPath):
        return Refused("No such file or folder.", 404)
    if isinstance(exc, PathEscape):
        return Refused(f"Refused: {exc}.", 400)
    if isinstance(exc, storage.TooBig | QuotaExceeded):
        return Refused(str(exc), 413)
    if isinstance(exc, storage.Exists):
        return Refused(str(exc), 409)
    return Refused(str(exc), 400)


REFUSED = (StorageError, PathEscape, QuotaExceeded, ArchiveError)


class FilesView(ApiView):
    def handle_exception(self, exc):
        return super().handle_exception(_refusal(exc) if isinstance(exc, REFUSED) else exc)


class FolderView(FilesView):
    def get(self, request):
        return _json(storage.listing(request.user, request.GET.get("path", ""), request.GET))


class ContentView(FilesView):
    def get(self, request, path: str):
        file = operations.file_path(request.user, path)
        return content_response(file, links.media_type(file), attachment=True)

    def put(self, request, path: str):
        size = whole_number(request.META.get("CONTENT_LENGTH"), "Content-Length")
        if size is None:
            raise Refused("Send the file with its Content-Length.", 411)
        name = path.rpartition("/")[2]
        body = storage.RawBody(request._request.read, size, name, max_upload_bytes())
        overwrite = request.GET.get("overwrite", "") in ("1", "true", "yes")
        return _json(storage.put_file(request.user, path, body, overwrite=overwrite), status=201)

    def delete(self, request, path: str):
        storage.delete(request.user, path)
        return _json({"deleted": path})


class MakeFolderView(FilesView):
    def post(self, request):
        path = request.data.get("path") if isinstance(request.data, dict) else None
        if not isinstance(path, str):
            raise Refused('Send {"path": "<folder>"} as JSON.')
        made = storage.make_folders(request.user, path)
        return _json(made, status=201 if made["created"] else 200)


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status)
