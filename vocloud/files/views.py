from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpResponseNotFound,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from services.storage import PathEscape, chunked
from services.storage.archives import ArchiveError
from services.storage.intake import Upload
from services.storage.manager import NoSuchPath, StorageError
from services.storage.quota import QuotaExceeded
from vocloud.content import content_response
from vocloud.files import handoff, links, operations
from vocloud.files.uploads import LimitedUploadHandler, max_upload_bytes
from vocloud.plots import plot_page
from vocloud.signed_links import LinkInvalid

# what a user is told in a message; a path that is not theirs (or leaves their space) is a 404
REFUSALS = (StorageError, QuotaExceeded, ArchiveError)
MISSING = (NoSuchPath, PathEscape)


def _not_found(exc: Exception):
    return Http404("No such file or folder.") if isinstance(exc, MISSING) else exc


def _back(folder: str):
    if folder.strip("/"):
        return redirect("files:browse", path=folder.strip("/"))
    return redirect("files:home")


def _perform(request, action, *args, success: str = "", **kwargs):
    """Run one operation; a refusal becomes a message, a foreign path a 404."""
    try:
        result = action(request.user, *args, **kwargs)
    except MISSING as exc:
        raise _not_found(exc) from None
    except REFUSALS as exc:
        messages.error(request, str(exc))
        return None
    if success:
        messages.success(request, success)
    return result


@login_required
@require_GET
def browse(request, path: str = ""):
    try:
        page = operations.folder_page(request.user, path, request.GET)
    except MISSING as exc:
        if operations.is_file(request.user, path):
            return redirect("files:view", path=path)
        raise _not_found(exc) from None
    page["max_upload_bytes"] = max_upload_bytes()
    page["chunk_bytes"] = chunked.CHUNK_BYTES
    return render(request, "files/browse.html", page)


@login_required
@require_GET
@plot_page  # a FITS spectrum is drawn with Bokeh
def view(request, path: str):
    try:
        page = operations.preview(request.user, path)
        page["samp_purposes"] = handoff.file_purposes(request.user, page["path"])
    except MISSING as exc:
        raise _not_found(exc) from None
    return render(request, "files/view.html", page)


@login_required
@require_GET
@plot_page
def overlay(request):
    """Several spectra in one plot (GET: the paths and the options are in the address)."""
    try:
        page = operations.overlay(request.user, request.GET.getlist("paths"), request.GET)
    except MISSING as exc:
        raise _not_found(exc) from None
    return render(request, "files/overlay.html", page)


@login_required
@require_GET
def download(request, path: str):
    try:
        file = operations.file_path(request.user, path)
    except MISSING as exc:
        raise _not_found(exc) from None
    return content_response(file, links.media_type(file), attachment=True)


@login_required
@require_POST
def download_zip(request):
    paths = _chosen(request)
    result = _perform(request, operations.zip_download, paths)
    if result is None:
        return _back(request.POST.get("folder", ""))
    name, chunks = result
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@csrf_exempt  # the upload handler must be in place before the CSRF check reads the body
@login_required
@require_POST
def upload(request):
    handler = LimitedUploadHandler(request, operations.quota_for(request.user), max_upload_bytes())
    request.upload_handlers.insert(0, handler)
    return _upload(request, handler)


@csrf_protect
def _upload(request, handler: LimitedUploadHandler):
    folder = request.POST.get("folder", "")
    if handler.refusal:
        messages.error(request, handler.refusal)
        return _back(folder)
    uploads = [Upload(f.name, f) for f in request.FILES.getlist("files")]
    folder_files, relatives = request.FILES.getlist("tree"), request.POST.getlist("tree_paths")
    if len(relatives) != len(folder_files):  # no script: only the bare names are known
        relatives = [f.name for f in folder_files]
    uploads += [Upload(rel, f) for rel, f in zip(relatives, folder_files, strict=True)]
    if not uploads:
        messages.error(request, "Choose files or a folder to upload first.")
        return _back(folder)
    extract = request.POST.get("extract") == "on"
    stored = _perform(request, operations.upload, folder, uploads, extract_archives=extract)
    if stored is not None:
        messages.success(request, operations.upload_summary(stored))
    return _back(folder)


@login_required
@require_POST
def mkdir(request):
    folder, name = request.POST.get("folder", ""), request.POST.get("name", "")
    _perform(request, operations.make_folder, folder, name, success=f"Folder {name} created.")
    return _back(folder)


@login_required
@require_POST
def rename(request):
    path, name = request.POST.get("path", ""), request.POST.get("name", "")
    _perform(request, operations.rename, path, name, success=f"Renamed to {name}.")
    return _back(request.POST.get("folder", ""))


@login_required
@require_POST
def move(request):
    paths, dest = _chosen(request), request.POST.get("dest", "").strip("/")
    done = _perform(request, operations.move, paths, dest)
    if done:
        messages.success(request, f"Moved {len(done)} item(s) to /{dest}.")
    return _back(request.POST.get("folder", ""))


@login_required
@require_POST
def copy(request):
    paths, dest = _chosen(request), request.POST.get("dest", "").strip("/")
    done = _perform(request, operations.copy, paths, dest)
    if done:
        messages.success(request, f"Copied {len(done)} item(s) to /{dest}.")
    return _back(request.POST.get("folder", ""))


@login_required
@require_POST
def delete(request):
    """The first POST shows what would go; the confirmed one deletes."""
    paths, folder = _chosen(request), request.POST.get("folder", "")
    if request.POST.get("confirm") != "yes":
        if not paths:
            messages.error(request, "Choose files or folders to delete first.")
            return _back(folder)
        items = _perform(request, operations.describe, paths[:CONFIRM_SHOWN])
        if items is None:
            return _back(folder)
        shown = {"items": items, "folder": folder, "n_items": len(paths)}
        shown["matching"], shown["paths"] = _matching(request), paths
        return render(request, "files/confirm_delete.html", shown)
    expected = request.POST.get("expected")
    if expected is not None and expected != str(len(paths)):
        messages.error(request, "The folder changed since you confirmed: nothing was deleted.")
        return _back(folder)
    count = _perform(request, operations.delete, paths)
    if count:
        messages.success(request, f"Deleted {count} item(s).")
    return _back(folder)


CONFIRM_SHOWN = 50  # the confirmation lists this many paths, then says how many more


def _chosen(request) -> list[str]:
    """The ticked paths, or every match of the filter when "all matching" was chosen."""
    try:
        return operations.chosen_paths(request.user, request.POST)
    except MISSING as exc:
        raise _not_found(exc) from None


def _matching(request) -> dict | None:
    if request.POST.get("all_matching") != "1":
        return None
    return {"q": request.POST.get("q", ""), "type": request.POST.get("type", "")}


@require_POST  # CSRF-checked like every portal POST
def samp_links(request):
    """Signed links and SAMP metadata for the chosen files (JSON), for Send to TOPCAT/SPLAT."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Your session has ended: log in again."}, status=401)
    paths, purpose = request.POST.getlist("paths"), request.POST.get("purpose", "")
    try:
        found = handoff.samp_files(request.user, paths, purpose, request.build_absolute_uri)
    except MISSING:
        return JsonResponse({"error": "No such file or folder."}, status=404)
    except StorageError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({**found, "expires_in": settings.VOCLOUD_SIGNED_URL_LIFETIME})


@require_safe
def signed(request, token: str):
    """A file for a tool without a session (TOPCAT, SPLAT): the signed token is the credential."""
    try:
        path = links.file_from_token(token)
    except LinkInvalid as exc:
        return HttpResponseNotFound(f"{exc}\n", content_type="text/plain; charset=utf-8")
    return content_response(path, links.media_type(path))


# Resumable chunked uploads (static/files/files.js): JSON in and out, CSRF-checked through
# the X-CSRFToken header like every portal POST.


def _json_error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _chunk_user(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _json_error("Your session has ended: log in again.", 401)
        try:
            return view(request, *args, **kwargs)
        except MISSING:
            return _json_error("No such upload or folder.", 404)
        except chunked.ChunkConflict as exc:
            return _json_error(str(exc), 409, offset=exc.received)
        except REFUSALS as exc:
            return _json_error(str(exc), 400)

    wrapped.__name__ = view.__name__
    return wrapped


@require_POST
@_chunk_user
def chunked_start(request):
    size = _whole_number(request.POST.get("size"))
    if size is None:
        return _json_error("Upload refused: the size must be a number of bytes.", 400)
    pending, stored = operations.start_chunked(
        request.user,
        request.POST.get("folder", ""),
        request.POST.get("path", ""),
        size,
        request.POST.get("extract") == "on",
    )
    answer = {"id": pending.upload_id, "chunk_bytes": chunked.CHUNK_BYTES}
    return JsonResponse({**answer, **_progress(pending, stored)}, status=201)


@require_http_methods(["GET", "POST"])
@_chunk_user
def chunked_upload(request, upload_id: str):
    """GET: how many bytes the server has; POST ?offset=N with the raw bytes: one chunk."""
    if request.method == "GET":
        pending = operations.chunked_status(request.user, upload_id)
        return JsonResponse({"offset": pending.received, "size": pending.size})
    offset = _whole_number(request.GET.get("offset"))
    length = _whole_number(request.META.get("CONTENT_LENGTH"))
    if offset is None or length is None:
        return _json_error("A chunk needs its offset and length.", 400)
    if length > chunked.CHUNK_BYTES:
        return _json_error("A chunk is too big.", 413)
    pending, stored = operations.append_chunk(
        request.user, upload_id, offset, length, iter(lambda: request.read(256 * 1024), b"")
    )
    return JsonResponse(_progress(pending, stored))


def _progress(pending, stored) -> dict:
    answer = {"offset": pending.received, "size": pending.size, "done": stored is not None}
    if stored is not None:
        answer["message"] = operations.upload_summary(stored)
    return answer


def _whole_number(text) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None
