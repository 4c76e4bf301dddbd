"""The file manager's operations for a Django user: one call per page or action.

The work is done by ``services.storage``; this module finds the user's space and quota,
turns uploads into ``services`` uploads and prepares what the pages show.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from services.messages import for_user
from services.plots import BOKEH_JS, embed, spectrum_figure
from services.spectra import SpectrumReadError, read_spectrum
from services.storage import PathEscape, UserSpace, user_space
from services.storage import manager as storage
from services.storage import preview as previews
from services.storage.archives import Limits
from services.storage.intake import Stored, Upload, store_uploads
from services.storage.listing import breadcrumbs, folders, list_folder, tree_size
from services.storage.quota import Quota, quota_of
from services.storage.zipstream import stream_zip, zip_members
from vocloud.files.models import quota_spec


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


def folder_page(user, relative: str) -> dict:
    """What the folder page shows; raises NoSuchPath/PathEscape for a bad folder."""
    space = space_for(user)
    folder = storage.existing(space, relative, folder=True)
    current = storage.relative_path(space, folder)
    return {
        "folder": current,
        "parent": current.rpartition("/")[0] if current else None,
        "crumbs": breadcrumbs(current),
        "items": list_folder(space, folder),
        "folders": folders(space),
        "quota": quota_for(user),
    }


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


def preview(user, relative: str) -> dict:
    """What the view page shows of one file."""
    space = space_for(user)
    path = storage.existing(space, relative, folder=False)
    current = storage.relative_path(space, path)
    kind = previews.preview_kind(path)
    page = {
        "path": current,
        "name": path.name,
        "crumbs": breadcrumbs(current),
        "size": path.stat().st_size,
        "kind": kind,
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
    return page


def _spectrum_plot(path: Path) -> dict:
    try:
        spectrum = read_spectrum(path)
    except SpectrumReadError as exc:
        return {"spectrum_error": f"Not read as a spectrum: {exc.reason}"}
    title = spectrum.meta.object_name or path.name
    script, div = embed(spectrum_figure(spectrum.wave, spectrum.flux, title=title))
    return {"plot_script": script, "plot_div": div, "bokeh_js": BOKEH_JS, "spectrum": spectrum}
