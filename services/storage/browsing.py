"""One page of a (possibly huge) folder: sorted, filtered and paged on the server.

A folder is read with one ``os.scandir`` (never its subfolders: a folder's size is not
walked) into a :class:`FolderListing` of parallel lists, ``n_entries`` long; names, types
and which entries are folders come from the directory itself, sizes and dates (one ``lstat``
an entry, ~1 s per 100,000) only once a page is sorted by them. The listing is
kept in memory, keyed by the folder's path and its ``(st_ino, st_mtime_ns)``: adding,
removing or renaming an entry changes the folder's mtime, so the next request reads it
again. A folder changed in the last :data:`SETTLE_S` seconds is not kept (a change within
the same clock tick would not move the mtime). Each sort order is computed once per
listing (``O(n log n)``), after which a page costs a pass of the filter (``O(n)``
substring tests, only when filtering) and a fresh ``lstat`` of the rows it shows, so the
sizes and dates shown are never stale even if a file was rewritten in place.

Memory: about 250 bytes an entry; at most :data:`CACHE_ENTRIES` entries are kept in all
(least recently used folders go first).
"""

from __future__ import annotations

import dataclasses
import os
import stat as stat_flags
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from services.storage.listing import Item, file_kind

SORT_KEYS = ("name", "type", "size", "modified")
PAGE_SIZES = (50, 100, 500)
DEFAULT_PAGE_SIZE = 100
MAX_FILTER_CHARS = 255
SETTLE_S = 2.0
CACHE_ENTRIES = 1_500_000
FOLDER_KIND = "folder"


@dataclass(frozen=True)
class ListingQuery:
    """What the user asked to see; every field already validated."""

    sort: str = "name"
    descending: bool = False
    text: str = ""  # a case-insensitive substring of the name
    kind: str = ""  # one of file_kind()'s answers, or "folder"; "" for all
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE


def parse_query(params: Mapping[str, str]) -> tuple[ListingQuery, list[str]]:
    """The query from request parameters; anything invalid falls back to its default.

    Returns
    -------
    query : ListingQuery
        Sort key, order, filter, page (>= 1; clamped to the last page later) and page size.
    notes : list of str
        One readable sentence per parameter that was not understood.
    """
    notes = []
    sort = str(params.get("sort") or "name")
    if sort not in SORT_KEYS:
        notes.append("Unknown sort order: sorted by name.")
        sort = "name"
    order = str(params.get("order") or "asc")
    if order not in ("asc", "desc"):
        notes.append("Unknown order: ascending.")
        order = "asc"
    text = str(params.get("q") or "")
    if len(text) > MAX_FILTER_CHARS:
        notes.append(f"The filter was cut to its first {MAX_FILTER_CHARS} characters.")
        text = text[:MAX_FILTER_CHARS]
    per_page = _integer(params.get("per_page"), DEFAULT_PAGE_SIZE)
    if per_page not in PAGE_SIZES:
        notes.append(f"Pages hold {', '.join(map(str, PAGE_SIZES))} rows: {DEFAULT_PAGE_SIZE}.")
        per_page = DEFAULT_PAGE_SIZE
    page = _integer(params.get("page"), 1)
    if page < 1:
        notes.append("Pages are numbered from 1: showing the first page.")
        page = 1
    kind = str(params.get("type") or "")[:40]
    query = ListingQuery(sort, order == "desc", text.strip(), kind, page, per_page)
    return query, notes


def _integer(value, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(str(value)[:20])
    except ValueError:
        return -1  # reported as invalid by the caller's range check


@dataclass
class FolderListing:
    """The entries of one folder (no links), as parallel lists of ``n_entries`` values."""

    folder: Path | None = None
    names: list[str] = field(default_factory=list)
    lower: list[str] = field(default_factory=list)
    is_dir: list[bool] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    _sizes: list[int] | None = field(default=None, repr=False)
    _mtimes: list[float] | None = field(default=None, repr=False)
    _orders: dict[tuple[str, bool], list[int]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def sizes(self) -> list[int]:
        """Bytes of each entry (0 for folders, which are not walked); read on first use."""
        self._read_stats()
        return self._sizes

    @property
    def mtimes(self) -> list[float]:
        """POSIX seconds of each entry's last change; read on first use."""
        self._read_stats()
        return self._mtimes

    def _read_stats(self) -> None:
        # Only sorting by size or date needs them: names, types and folders come from the
        # directory itself (scandir's d_type), one stat per entry costs ~1 s per 100,000.
        if self._sizes is not None:
            return
        sizes, mtimes = [], []
        for name, is_dir in zip(self.names, self.is_dir, strict=True):
            try:
                info = os.lstat(self.folder / name)
            except OSError:  # removed since: sorts as empty and old
                sizes.append(0)
                mtimes.append(0.0)
                continue
            sizes.append(0 if is_dir else info.st_size)
            mtimes.append(info.st_mtime)
        self._sizes, self._mtimes = sizes, mtimes

    @property
    def n_entries(self) -> int:
        return len(self.names)

    @property
    def n_folders(self) -> int:
        return sum(self.is_dir)

    def order(self, sort: str, descending: bool) -> list[int]:
        """Entry indices in display order: folders first, then files, each by ``sort``."""
        key = (sort, descending)
        with self._lock:
            if key not in self._orders:
                ascending = self._orders.get((sort, False)) or self._ascending(sort)
                self._orders[(sort, False)] = ascending
                if descending:
                    n_dirs = self.n_folders
                    self._orders[key] = ascending[:n_dirs][::-1] + ascending[n_dirs:][::-1]
            return self._orders[key]

    def _ascending(self, sort: str) -> list[int]:
        lower, dirs = self.lower, self.is_dir
        column = {"size": "sizes", "modified": "mtimes", "type": "kinds"}.get(sort)
        column = getattr(self, column) if column else None
        if column is None:  # by name: the commonest order, and the first of a new folder
            folders = [i for i, is_dir in enumerate(dirs) if is_dir]
            files = [i for i, is_dir in enumerate(dirs) if not is_dir]
            return sorted(folders, key=lower.__getitem__) + sorted(files, key=lower.__getitem__)
        return sorted(range(len(lower)), key=lambda i: (not dirs[i], column[i], lower[i]))

    def matching(self, query: ListingQuery) -> list[int]:
        """Indices of the entries that pass the filter, in the query's order."""
        order = self.order(query.sort, query.descending)
        text, kind = query.text.lower(), query.kind
        if not text and not kind:
            return order
        lower, kinds = self.lower, self.kinds
        if not kind:
            return [i for i in order if text in lower[i]]
        return [i for i in order if kinds[i] == kind and text in lower[i]]


def read_folder(folder: Path) -> FolderListing:
    """One ``os.scandir`` of ``folder``; symbolic links are left out."""
    listing = FolderListing(folder=folder)
    with os.scandir(folder) as entries:
        for entry in entries:
            try:  # from the directory entry's type: no stat unless the file system lacks it
                if entry.is_symlink():
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue  # removed while we read
            listing.names.append(entry.name)
            listing.lower.append(entry.name.lower())
            listing.is_dir.append(is_dir)
            listing.kinds.append(FOLDER_KIND if is_dir else file_kind(entry.name))
    return listing


_cache: OrderedDict[str, tuple[tuple[int, int], FolderListing]] = OrderedDict()
_cache_lock = threading.Lock()


def folder_listing(folder: Path) -> FolderListing:
    """The listing of ``folder`` (resolved, inside a user's space), from memory while the
    folder is unchanged."""
    info = folder.stat()
    stamp, key = (info.st_ino, info.st_mtime_ns), str(folder)
    with _cache_lock:
        kept = _cache.get(key)
        if kept is not None and kept[0] == stamp:
            _cache.move_to_end(key)
            return kept[1]
    listing = read_folder(folder)
    if time.time() - info.st_mtime > SETTLE_S:
        with _cache_lock:
            _cache[key] = (stamp, listing)
            _cache.move_to_end(key)
            while sum(kept.n_entries for _s, kept in _cache.values()) > CACHE_ENTRIES:
                if len(_cache) == 1:
                    break
                _cache.popitem(last=False)
    return listing


def forget_listings() -> None:
    """Empty the in-memory listings (tests, benchmarks)."""
    with _cache_lock:
        _cache.clear()


@dataclass(frozen=True)
class ListingPage:
    """One page of a folder, as the file manager shows it."""

    items: list[Item]
    query: ListingQuery  # with ``page`` clamped to ``1..n_pages``
    n_matching: int
    n_entries: int  # everything in the folder, filter or not
    n_pages: int
    kinds: list[str]  # the types present in the folder, for the type filter

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when none)."""
        return 0 if not self.items else (self.query.page - 1) * self.query.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def folder_page(folder: Path, relative: str, query: ListingQuery) -> ListingPage:
    """The page of ``folder`` that ``query`` asks for.

    Parameters
    ----------
    folder : Path
        A folder inside a user's ``files/``, already resolved by ``UserSpace.resolve``.
    relative : str
        The same folder as the user sees it (``""`` for the top), to build item paths.
    query : ListingQuery
        A page past the last one shows the last page.
    """
    listing = folder_listing(folder)
    matching = listing.matching(query)
    n_pages = max(1, -(-len(matching) // query.per_page))
    page = min(query.page, n_pages)
    start = (page - 1) * query.per_page
    shown = matching[start : start + query.per_page]
    prefix = f"{relative}/" if relative else ""
    items = [item for i in shown if (item := _fresh_item(folder, prefix, listing, i))]
    return ListingPage(
        items=items,
        query=dataclasses.replace(query, page=page),
        n_matching=len(matching),
        n_entries=listing.n_entries,
        n_pages=n_pages,
        kinds=sorted(set(listing.kinds), key=lambda kind: (kind != FOLDER_KIND, kind)),
    )


def matching_names(folder: Path, query: ListingQuery) -> list[str]:
    """The names of every entry of ``folder`` that passes ``query``'s filter (all pages),
    for an action on "all matching"."""
    listing = folder_listing(folder)
    return [listing.names[i] for i in listing.matching(query)]


def _fresh_item(folder: Path, prefix: str, listing: FolderListing, i: int) -> Item | None:
    name = listing.names[i]
    try:
        info = os.lstat(folder / name)
    except OSError:
        return None  # gone since the folder was read
    if stat_flags.S_ISLNK(info.st_mode):
        return None
    is_dir = stat_flags.S_ISDIR(info.st_mode)
    return Item(
        name=name,
        path=prefix + name,
        is_dir=is_dir,
        size=0 if is_dir else info.st_size,
        modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
        kind=FOLDER_KIND if is_dir else listing.kinds[i],
    )


def page_numbers(page: int, n_pages: int, around: int = 2) -> list[int | None]:
    """Page links to show: the first, the last, and ``around`` either side of ``page``;
    ``None`` where pages are skipped (``[1, None, 4, 5, 6, 7, 8, None, 1000]``)."""
    wanted = {1, n_pages, *range(page - around, page + around + 1)}
    numbers: list[int | None] = []
    for number in sorted(n for n in wanted if 1 <= n <= n_pages):
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def neighbours(folder: Path, name: str) -> tuple[str | None, str | None]:
    """The files before and after ``name`` in ``folder`` by name (folders skipped), for
    previous/next on a file's page; None at either end or if ``name`` is not listed."""
    listing = folder_listing(folder)
    files = listing.order("name", False)[listing.n_folders :]
    names = listing.names
    for position, i in enumerate(files):
        if names[i] == name:
            before = names[files[position - 1]] if position > 0 else None
            after = names[files[position + 1]] if position + 1 < len(files) else None
            return before, after
    return None, None
