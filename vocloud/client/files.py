"""The user's storage on the platform: list, upload, download, make folders, delete."""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from vocloud.client.http import API, VocloudError

if TYPE_CHECKING:
    from vocloud.client.http import Client

PAGE_SIZE = 500  # the largest page the platform serves


def content_url(path: str) -> str:
    """The API address of the file at ``path`` (relative to the user's storage)."""
    clean = str(PurePosixPath(path)).lstrip("/") if path else ""
    if not clean or clean == ".":
        raise VocloudError("Give the path of a file in your storage.")
    return f"{API}/files/content/{quote(clean, safe='/')}"


class Files:
    """The user's files, as the portal's file manager shows them."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<files of {self._client.url}>"

    @cached_property
    def _max_upload_bytes(self) -> int:
        return int(self._client.me().get("max_upload_bytes") or 2**63)

    def list(self, path: str = "", **query: Any) -> list[dict[str, Any]]:
        """Everything in the folder ``path`` (``""``: the top), across all pages.

        Parameters
        ----------
        path : str
            A folder in your storage, e.g. ``"night1/raw"``.
        **query
            The portal's listing options: ``q`` (names containing), ``type`` (e.g.
            ``"folder"``, ``"FITS"``), ``sort`` (name, size, modified, type), ``order``
            (asc, desc).

        Returns
        -------
        list of dict
            One per entry: ``name``, ``path``, ``type`` (``"file"`` or ``"folder"``),
            ``kind``, ``size`` (bytes), ``modified`` (ISO 8601, UTC).
        """
        return list(self.iter(path, **query))

    def iter(self, path: str = "", **query: Any) -> Iterator[dict[str, Any]]:
        """Like :meth:`list`, one page at a time (a folder may hold a million files)."""
        page = 1
        while True:
            params = {**query, "path": path, "page": page, "per_page": PAGE_SIZE}
            answer = self._client.request("GET", f"{API}/files/", params=params).json()
            yield from answer["items"]
            if answer["page"] >= answer["n_pages"]:
                return
            page += 1

    def upload(
        self, source: str | os.PathLike | bytes, path: str, *, overwrite: bool = False
    ) -> list[str]:
        """Put a local file, a local folder (with everything in it) or bytes at ``path``.

        Parameters
        ----------
        source : str, PathLike or bytes
            A local file or folder, or the content itself.
        path : str
            Where it goes in your storage (missing folders are made). For a folder, the
            folder it becomes.
        overwrite : bool
            Replace what is there; otherwise a taken path is refused (VocloudError, 409).

        Returns
        -------
        list of str
            The paths stored.
        """
        if isinstance(source, bytes | bytearray | memoryview):
            return [self._put(bytes(source), path, overwrite)]
        local = Path(source)
        if local.is_dir():
            stored = []
            for file in sorted(p for p in local.rglob("*") if p.is_file()):
                target = PurePosixPath(path, *file.relative_to(local).parts).as_posix()
                with file.open("rb") as body:
                    stored.append(self._put(body, target, overwrite))
            if not stored:
                self.mkdir(path)
            return stored
        if not local.is_file():
            raise VocloudError(f"{local} is not a file or folder here.")
        with local.open("rb") as body:
            return [self._put(body, path, overwrite)]

    def _put(self, body: Any, path: str, overwrite: bool) -> str:
        size = len(body) if isinstance(body, bytes) else os.fstat(body.fileno()).st_size
        if size > self._max_upload_bytes:
            # Said before sending: a server may drop the connection mid-body instead.
            raise VocloudError(
                f"Upload refused: {PurePosixPath(path).name} is bigger than the "
                f"{self._max_upload_bytes:,} bytes allowed for one file.",
                413,
            )
        params = {"overwrite": "1"} if overwrite else None
        answer = self._client.request(
            "PUT",
            content_url(path),
            data=body,
            params=params,
            headers={"Content-Type": "application/octet-stream"},
        )
        return answer.json()["path"]

    def download(self, path: str, to: str | os.PathLike | None = None) -> bytes | Path:
        """A file of your storage: its bytes, or written to the local path ``to``.

        ``to`` may be a local folder: the file keeps its name there.
        """
        response = self._client.request("GET", content_url(path), stream=True)
        if to is None:
            return response.content
        target = Path(to)
        if target.is_dir():
            target = target / PurePosixPath(path).name
        partial = target.with_name(target.name + ".part")
        with partial.open("wb") as out:
            for block in response.iter_content(1024 * 1024):
                out.write(block)
        os.replace(partial, target)
        return target

    def mkdir(self, path: str) -> bool:
        """Make the folder ``path`` and its missing parents; True if anything was made."""
        return bool(self._client.post_json(f"{API}/files/mkdir", {"path": path})["created"])

    def delete(self, path: str) -> None:
        """Delete a file, or a folder with everything in it."""
        self._client.request("DELETE", content_url(path))
