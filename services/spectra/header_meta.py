"""Spectrum metadata (object, position, date, instrument, redshift) from FITS headers."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from typing import Any, Protocol

from services.spectra.spectrum import SpectrumMeta

__all__ = [
    "AstropyHeader",
    "ChainedHeader",
    "HeaderLike",
    "meta_from_header",
    "mjd_to_iso",
    "parse_angle",
]

# Scalar keywords copied into SpectrumMeta.extra when present.
EXTRA_KEYS = (
    "OBJTYPE", "CLASS", "SUBCLASS", "DESIG", "Z_ERR", "EXPTIME", "MJD", "JD", "HJD", "BJD",
    "VHELIO", "BUNIT", "OBSERVAT", "OBSERVER", "EQUINOX", "AIRMASS", "PLANID", "PLATEID",
    "FIBERID", "SPID", "SN_G", "SN_R", "SN_I", "SNR", "IMAGETYP", "FILENAME",
)  # fmt: skip
_NAME_KEYS = ("OBJNAME", "OBJECT", "TARGNAME", "TARGET", "OBJ_NAME")
_RA_KEYS = ("RA", "OBJRA", "RA_OBJ", "PLUG_RA", "RA_TARG", "TARG_RA", "CAT-RA")
_DEC_KEYS = ("DEC", "OBJDEC", "DEC_OBJ", "PLUG_DEC", "DEC_TARG", "TARG_DEC", "CAT-DEC")
_REDSHIFT_KEYS = ("Z", "REDSHIFT", "Z_VALUE")
# Spellings pipelines use for the same keyword ('-' is the FITS standard, '_' is common too).
# Few on purpose: each absent one costs a lookup per file (2 us in an astropy header).
_DATE_KEYS = ("DATE-OBS", "DATE_OBS", "DATEOBS")
_MJD_KEYS = ("MJD-OBS", "MJD_OBS", "MJD")
_JD_KEYS = ("JD",)
_TIME_KEYS = (
    "UT", "UTSTART", "UT-START", "UT_START", "TIME-OBS", "TIME_OBS", "UTC-OBS", "UTC_OBS",
)  # fmt: skip
_SEXAGESIMAL = re.compile(r"^\s*([+-]?)\s*(\d+)[:\s hd]+(\d+)[:\s m']+(\d+(?:\.\d*)?)\D*$")
_OLD_DATE = re.compile(r"^(\d\d)/(\d\d)/(\d\d)$")
_MJD_EPOCH = dt.datetime(1858, 11, 17)


class HeaderLike(Protocol):
    """Anything with a FITS-header-style ``get`` (our :class:`FitsHeader`, astropy adapters)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def __contains__(self, key: object) -> bool: ...

    def __iter__(self) -> Iterator[str]: ...


class AstropyHeader:
    """Adapter giving an :class:`astropy.io.fits.Header` the :class:`HeaderLike` behaviour.

    Empty values (astropy's ``Undefined``) read as missing; an unparsable card reads as
    missing too, with a ``UserWarning`` (the readers record warnings in the metadata).
    """

    __slots__ = ("_header",)

    def __init__(self, header: Any) -> None:
        self._header = header

    def get(self, key: str, default: Any = None) -> Any:
        """Value of ``key``, ``default`` when absent or empty."""
        try:
            value = self._header.get(key, default)
        except Exception as exc:  # astropy raises VerifyError & co. for unparsable cards
            warnings.warn(f"unparsable FITS card {key}: {exc}", UserWarning, stacklevel=2)
            return default
        if value is None or type(value).__name__ == "Undefined":
            return default
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._header

    def __iter__(self) -> Iterator[str]:
        return iter(self._header.keys())


class ChainedHeader:
    """Look keywords up in ``first`` (an extension header), then in ``second`` (primary)."""

    __slots__ = ("_first", "_second")

    def __init__(self, first: HeaderLike, second: HeaderLike) -> None:
        self._first = first
        self._second = second

    def get(self, key: str, default: Any = None) -> Any:
        """Value of ``key`` from the first header that has one, else ``default``."""
        value = self._first.get(key)
        return self._second.get(key, default) if value is None else value

    def __contains__(self, key: object) -> bool:
        return key in self._first or key in self._second

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._first, *self._second]))


def _first(header: HeaderLike, keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = header.get(key)
        if value is not None and value != "":
            return value
    return None


def parse_angle(value: Any, *, hours: bool) -> float | None:
    """Angle in degrees from a header value.

    Parameters
    ----------
    value : float, int or str
        Degrees as a number or numeric string, or sexagesimal ``"21:57:18.2"`` /
        ``"21 57 18.2"``, read as hours when ``hours`` is true (right ascension).
    hours : bool
        Whether a sexagesimal value is in hours.

    Returns
    -------
    float or None
        Degrees, or None when the value is absent or not an angle.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = _SEXAGESIMAL.match(text)
    if not match:
        return None
    sign, a, b, c = match.groups()
    degrees = int(a) + int(b) / 60 + float(c) / 3600
    degrees *= 15.0 if hours else 1.0
    return -degrees if sign == "-" else degrees


def mjd_to_iso(mjd: float) -> str:
    """ISO 8601 UTC date-time (seconds precision) of a Modified Julian Date."""
    moment = _MJD_EPOCH + dt.timedelta(days=float(mjd))
    return moment.isoformat(timespec="seconds")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _obs_date(header: HeaderLike) -> str | None:
    """ISO date(-time) from DATE-OBS (or DATE_OBS...) and a UT card, else MJD-OBS or JD."""
    date = _first(header, _DATE_KEYS)
    if isinstance(date, str) and date.strip():
        date = date.strip()
        old = _OLD_DATE.match(date)
        if old:  # pre-2000 FITS style dd/mm/yy
            day, month, year = old.groups()
            date = f"19{year}-{month}-{day}"
        if "T" not in date and len(date) == 10:
            time = _first(header, _TIME_KEYS)
            if isinstance(time, str) and re.match(r"^\d\d:\d\d(:\d\d(\.\d*)?)?$", time.strip()):
                date = f"{date}T{time.strip()}"
        return date
    mjd = _number(_first(header, _MJD_KEYS))
    if mjd is not None and 0 < mjd < 1e6:
        return mjd_to_iso(mjd)
    jd = _number(_first(header, _JD_KEYS))
    if jd is not None and 2400000.5 < jd < 3400000.5:
        return mjd_to_iso(jd - 2400000.5)
    return None


def _redshift(header: HeaderLike) -> float | None:
    z = _first(header, _REDSHIFT_KEYS)
    if isinstance(z, bool) or not isinstance(z, int | float):
        return None
    return float(z) if -1.0 < z < 100.0 else None  # -9999 etc. mean "unknown"


def wave_medium(header: HeaderLike) -> str | None:
    """``"vacuum"``, ``"air"`` or None from VACUUM, AIRORVAC or CTYPE1 (WAVE vs AWAV)."""
    vacuum = header.get("VACUUM")
    if isinstance(vacuum, bool):
        return "vacuum" if vacuum else "air"
    airorvac = str(header.get("AIRORVAC", "")).strip().lower()
    if airorvac.startswith("vac"):
        return "vacuum"
    if airorvac.startswith("air"):
        return "air"
    ctype = str(header.get("CTYPE1", "")).upper()
    if ctype.startswith("AWAV"):
        return "air"
    if ctype.startswith(("WAVE", "VWAV")):
        return "vacuum"
    return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def meta_from_header(header: HeaderLike, *, source: str, fmt: str) -> SpectrumMeta:
    """Build :class:`SpectrumMeta` from the usual FITS keywords.

    Parameters
    ----------
    header : HeaderLike
        The (primary) header.
    source : str
        File base name.
    fmt : str
        Recognised layout name.

    Returns
    -------
    SpectrumMeta
        With object name, RA/Dec in degrees, ISO observation date, instrument, telescope,
        redshift, air/vacuum and the :data:`EXTRA_KEYS` that are present.
    """
    meta = SpectrumMeta(source=source, format=fmt)
    meta.object_name = _text(_first(header, _NAME_KEYS))
    meta.ra = parse_angle(_first(header, _RA_KEYS), hours=True)
    meta.dec = parse_angle(_first(header, _DEC_KEYS), hours=False)
    meta.obs_date = _obs_date(header)
    meta.instrument = _text(header.get("INSTRUME"))
    meta.telescope = _text(header.get("TELESCOP"))
    meta.redshift = _redshift(header)
    meta.wave_medium = wave_medium(header)
    for key in EXTRA_KEYS:
        value = header.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value is not None and value != "":
            meta.extra[key.lower()] = value
    return meta
