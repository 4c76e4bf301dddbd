"""The file manager's operations for a Django user: one call per page or action.

The work is done by ``services.storage``; this module finds the user's space and quota,
turns uploads into ``services`` uploads and prepares what the pages show.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from services.messages import for_user
from services.plots import BOKEH_JS, embed, spectrum_figure
from services.spectra import SpectrumReadError, read_spectrum
from services.storage import PathEscape, UserSpace, browsing, chunked, user_space
from services.storage import manager as storage
from services.storage import preview as previews
from services.storage.archives import Limits
from services.storage.intake import Stored, Upload, store_uploads
from services.storage.listing import breadcrumbs, tree_size
from services.storage.quota import Quota, quota_of, recent_quota
from services.storage.zipstream import stream_zip, zip_members
from vocloud.files.models import quota_spec
from vocloud.files.uploads import max_upload_bytes


def space_for(user) -> UserSpace:
    return user_space(settings.DATA_DIR, user.pk).ensure()


def quota_for(user) -> Quota:
    """The quota as it stands: files, datasets and job uploads against the limit."""
    spec = quota_spec(user)
    return quota_of(space_for(user), spec.limit_bytes, spec.elsewhere_bytes)


def archive_limits() -> Limits:
    default = Limits()
    return Limits(
        max_total_bytes=getattr(settings, "VOCLOUD_ARCHIVE_MAX_BYTES", default.max_total_bytes),
        max_members=getattr(settings, "VOCLOUD_ARCHIVE_MAX_MEMBERS", default.max_members),
        max_ratio=getattr(settings, "VOCLOUD_ARCHIVE_MAX_RATIO", default.max_ratio),
        min_ratio_bytes=default.min_ratio_bytes,
    )


def page_quota(user) -> Quota:
    """The quota for display and per-chunk checks, without walking the space each time."""
    spec = quota_spec(user)
    return recent_quota(space_for(user), spec.limit_bytes, spec.elsewhere_bytes)


def folder_page(user, relative: str, params) -> dict:
    """One page of a folder, as ``params`` (the query string) asks; raises
    NoSuchPath/PathEscape for a bad folder."""
    space = space_for(user)
    folder = storage.existing(space, relative, folder=True)
    current = storage.relative_path(space, folder)
    query, notes = browsing.parse_query(params)
    listing = browsing.folder_page(folder, current, query)
    parent = current.rpartition("/")[0] if current else None
    return {
        "folder": current,
        "parent": parent,
        "crumbs": breadcrumbs(current),
        "listing": listing,
        "items": listing.items,
        "query": listing.query,
        "notes": notes,
        "pages": browsing.page_numbers(listing.query.page, listing.n_pages),
        "columns": _columns(listing.query),
        "page_sizes": browsing.PAGE_SIZES,
        "destinations": _destinations(current, folder),
        "quota": page_quota(user),
    }


COLUMNS = (("name", "Name"), ("size", "Size"), ("modified", "Modified"), ("type", "Type"))


def _columns(query: browsing.ListingQuery) -> list[dict]:
    """The sortable column headers: a click sorts by the column, a second click reverses."""
    columns = []
    for key, label in COLUMNS:
        current = query.sort == key
        columns.append(
            {
                "key": key,
                "label": label,
                "next": "desc" if current and not query.descending else "asc",
                "mark": ("▼" if query.descending else "▲") if current else "",
                "sorted": ("descending" if query.descending else "ascending") if current else "",
            }
        )
    return columns


def _destinations(current: str, folder: Path) -> list[str]:
    """Suggested move/copy targets: the ancestors and the subfolders of this folder (the
    whole tree is never walked for them; any folder can be typed)."""
    parts = current.split("/") if current else []
    ancestors = ["/".join(parts[:i]) for i in range(len(parts) + 1)]
    listing = browsing.folder_listing(folder)
    prefix = f"{current}/" if current else ""
    by_name = listing.order("name", False)[: min(listing.n_folders, 500)]  # folders first
    return ancestors + [prefix + listing.names[i] for i in by_name]


def chosen_paths(user, post) -> list[str]:
    """The paths a bulk action applies to: the ticked ``paths``, or, with
    ``all_matching=1``, every entry of ``folder`` that passes the filter (``q``, ``type``)
    on the server, across all pages."""
    if post.get("all_matching") != "1":
        return post.getlist("paths")
    space = space_for(user)
    folder = storage.existing(space, post.get("folder", ""), folder=True)
    current = storage.relative_path(space, folder)
    query, _notes = browsing.parse_query({"q": post.get("q", ""), "type": post.get("type", "")})
    prefix = f"{current}/" if current else ""
    return [prefix + name for name in browsing.matching_names(folder, query)]


def start_chunked(user, folder: str, relative: str, size: int, extract: bool) -> tuple:
    """Open a chunked upload; an empty file is stored at once.

    Returns (the upload, what the intake stored or None while bytes are missing).
    """
    space = space_for(user)
    pending = chunked.start(
        space,
        folder,
        relative,
        size,
        quota=page_quota(user),
        max_file_bytes=max_upload_bytes(),
        extract=extract,
    )
    return pending, _finish(user, space, pending) if pending.done else None


def chunked_status(user, upload_id: str):
    return chunked.status(space_for(user), upload_id)


def append_chunk(user, upload_id: str, offset: int, length: int, chunks) -> tuple:
    """Write one chunk; once the file is complete it is stored like a form upload.

    Returns (the upload, what the intake stored or None while bytes are missing).
    """
    space = space_for(user)
    pending = chunked.append(space, upload_id, offset, length, chunks, quota=page_quota(user))
    return pending, _finish(user, space, pending) if pending.done else None


def _finish(user, space: UserSpace, pending: chunked.PendingUpload) -> Stored:
    try:
        source = chunked.finished_source(space, pending.upload_id)
        return upload(
            user,
            pending.folder,
            [Upload(pending.relative, source)],
            extract_archives=pending.extract,
        )
    finally:
        chunked.discard(space, pending.upload_id)


def upload(user, folder: str, uploads: list[Upload], *, extract_archives: bool) -> Stored:
    return store_uploads(
        space_for(user),
        folder,
        uploads,
        quota_spec(user),
        extract_archives=extract_archives,
        limits=archive_limits(),
    )


def make_folder(user, parent: str, name: str) -> str:
    return storage.make_folder(space_for(user), parent, name)


def rename(user, relative: str, new_name: str) -> str:
    return storage.rename(space_for(user), relative, new_name)


def move(user, relatives: list[str], folder: str) -> list[str]:
    return storage.move(space_for(user), relatives, folder)


def copy(user, relatives: list[str], folder: str) -> list[str]:
    return storage.copy(space_for(user), relatives, folder, quota_spec(user))


def delete(user, relatives: list[str]) -> int:
    return storage.delete(space_for(user), relatives)


def describe(user, relatives: list[str]) -> list[dict]:
    """Path, folder or not, and size of each path, for the delete confirmation."""
    space = space_for(user)
    described = []
    for relative in relatives:
        path = storage.existing(space, relative)
        described.append(
            {
                "path": storage.relative_path(space, path),
                "is_dir": path.is_dir(),
                "size": tree_size(path),
            }
        )
    return described


def is_file(user, relative: str) -> bool:
    try:
        return storage.existing(space_for(user), relative, folder=False).is_file()
    except (storage.StorageError, PathEscape):
        return False


def upload_summary(stored: Stored) -> str:
    text = f"Uploaded {len(stored.paths)} file(s)"
    if stored.archives:
        text += f" from {stored.archives} archive(s) extracted"
    if stored.renamed:
        text += f"; {stored.renamed} saved under a new name because the name was taken"
    return text + "."


def file_path(user, relative: str) -> Path:
    """A file of the user's, for download; raises NoSuchPath/PathEscape."""
    return storage.existing(space_for(user), relative, folder=False)


def zip_download(user, relatives: list[str]) -> tuple[str, Iterator[bytes]]:
    """(file name, bytes of the zip) for the chosen files and folders."""
    space = space_for(user)
    paths = [storage.existing(space, relative) for relative in relatives]
    if not paths:
        raise storage.StorageError("Choose files or folders to download first.")
    name = paths[0].name if len(paths) == 1 else "vocloud-files"
    return f"{name or 'files'}.zip", stream_zip(zip_members(paths))


MAX_PLOT_BYTES = 20 * 1024**2  # a VOTable or text file bigger than this is not read as a spectrum


def preview(user, relative: str) -> dict:
    """What the view page shows of one file."""
    space = space_for(user)
    path = storage.existing(space, relative, folder=False)
    current = storage.relative_path(space, path)
    kind = previews.preview_kind(path)
    info = path.stat()
    folder = current.rpartition("/")[0]
    before, after = browsing.neighbours(path.parent, path.name)
    page = {
        "path": current,
        "name": path.name,
        "crumbs": breadcrumbs(current),
        "size": info.st_size,
        "modified": datetime.fromtimestamp(info.st_mtime, tz=UTC),
        "kind": kind,
        "previous": f"{folder}/{before}".lstrip("/") if before else None,
        "next": f"{folder}/{after}".lstrip("/") if after else None,
    }
    try:
        if kind == "fits":
            page["headers"] = previews.fits_headers(path)
            page.update(_spectrum_plot(path))
        elif kind == "votable":
            page["tables"] = previews.votable_preview(path)
        elif kind == "text":
            page["text"] = previews.text_preview(path)
    except previews.PreviewError as exc:
        page["error"] = for_user(str(exc), settings.DATA_DIR)
    if kind in ("votable", "text") and "error" not in page and info.st_size <= MAX_PLOT_BYTES:
        plotted = _spectrum_plot(path)  # an SDM VOTable or a text spectrum, drawn like FITS
        if "plot_div" in plotted:
            page.update(plotted)
    return page


def _spectrum_plot(path: Path) -> dict:
    try:
        spectrum = read_spectrum(path)
    except SpectrumReadError as exc:
        return {"spectrum_error": f"Not read as a spectrum: {exc.reason}"}
    title = spectrum.meta.object_name or path.name
    script, div = embed(spectrum_figure(spectrum.wave, spectrum.flux, title=title))
    return {"plot_script": script, "plot_div": div, "bokeh_js": BOKEH_JS, "spectrum": spectrum}


def overlay(user, relatives: list[str], params) -> dict:
    """What the overlay page shows: the chosen spectra in one plot, and those not read.

    Raises NoSuchPath/PathEscape for a path that is not one of the user's files.
    """
    from vocloud.files import overlay as overlays  # Bokeh models: only for this page

    space = space_for(user)
    options, notes = overlays.parse_options(params)
    chosen = list(dict.fromkeys(relatives))  # in order, once each
    if len(chosen) > overlays.MAX_SPECTRA:
        notes.append(f"At most {overlays.MAX_SPECTRA} spectra in one plot: the first are shown.")
        chosen = chosen[: overlays.MAX_SPECTRA]
    paths = [storage.existing(space, relative, folder=False) for relative in chosen]
    curves, shown, failed = [], [], []
    for path in paths:
        relative = storage.relative_path(space, path)
        try:
            spectrum = read_spectrum(path)
        except SpectrumReadError as exc:
            failed.append(f"{relative}: not read as a spectrum ({exc.reason}).")
            continue
        x, y = overlays.prepare(spectrum.wave, spectrum.flux, options, len(curves))
        curves.append((path.name, x, y))
        shown.append({"path": relative, "spectrum": spectrum})
    page = {
        "paths": [storage.relative_path(space, path) for path in paths],
        "options": options,
        "notes": notes,
        "shown": shown,
        "failed": failed,
        "normalisations": overlays.NORMALISATIONS,
        "units": {key: label for key, (label, _factor) in overlays.UNITS.items()},
    }
    if curves:
        script, div = embed(overlays.overlay_figure(curves, options))
        page.update(plot_script=script, plot_div=div, bokeh_js=BOKEH_JS)
    return page
