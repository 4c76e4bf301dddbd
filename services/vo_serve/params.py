"""The parameters of a user's VO services, parsed from what a client sent.

SSAP 1.1 (``queryData``): ``POS`` (``ra,dec`` in ICRS degrees, optionally ``;ICRS``),
``SIZE`` (the search *diameter* in degrees, as SSAP 1.1 defines it; default
:data:`DEFAULT_SIZE_DEG`), ``BAND`` (``lo/hi`` in metres, either side open, or one
wavelength the spectrum must cover), ``TIME`` (``start/end`` in ISO 8601, either side open,
or one date), ``FORMAT`` (``all``, ``native``, ``compliant``, ``votable``, ``fits``,
``graphic``, a MIME type, or ``METADATA``), ``MAXREC`` and ``COLLECTION`` (a dataset name or
``~files``). SODA: ``ID`` and one ``BAND`` (``lo hi`` in metres, ``-Inf``/``+Inf`` for an open
side). A bad value raises :class:`UsageError` naming the parameter and its form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from astropy.time import Time

from services.vo_serve.errors import UsageError

DEFAULT_SIZE_DEG = 0.2  # SIZE when POS comes alone (SSAP leaves the default to the service)
MAX_TEXT = 200  # longest parameter value worth reading: anything longer is not one of ours
_MIME = re.compile(r"[a-z]+/[a-z0-9.+-]+(;.*)?", re.IGNORECASE)


@dataclass(frozen=True)
class SsaQuery:
    """A parsed SSAP query.

    Attributes
    ----------
    pos : (float, float) or None
        Cone centre, ICRS degrees.
    size_deg : float
        Cone diameter, degrees.
    band_m : (float, float) or None
        Wavelength interval in metres (``-inf``/``inf`` for open sides).
    time_mjd : (float, float) or None
        Observation-date interval as MJD (open sides infinite).
    formats : tuple of str or None
        MIME types asked for (None: all).
    metadata : bool
        ``FORMAT=METADATA``: describe the columns, no rows.
    maxrec : int
        Most rows to return.
    collection : str or None
        Only this dataset (or ``~files``: ingested spectra in no dataset).
    """

    pos: tuple[float, float] | None = None
    size_deg: float = DEFAULT_SIZE_DEG
    band_m: tuple[float, float] | None = None
    time_mjd: tuple[float, float] | None = None
    formats: tuple[str, ...] | None = None
    metadata: bool = False
    maxrec: int = 1000
    collection: str | None = None


def one(params: Mapping[str, Sequence[str]], name: str, max_length: int = MAX_TEXT) -> str | None:
    """The single value of parameter ``name`` (case-insensitive), None when absent.

    Raises
    ------
    UsageError
        For a repeated parameter or an over-long value.
    """
    values = [v for key, vs in params.items() if key.upper() == name for v in vs]
    if not values:
        return None
    if len(values) > 1:
        raise UsageError(f"{name} given {len(values)} times; give it once")
    if len(values[0]) > max_length:
        raise UsageError(f"{name} is longer than {max_length} characters")
    return values[0].strip()


def parse_ssa(
    params: Mapping[str, Sequence[str]], *, default_maxrec: int, hard_maxrec: int
) -> SsaQuery:
    """An :class:`SsaQuery` from the request's parameters (name -> list of values).

    ``MAXREC`` above ``hard_maxrec`` is served as ``hard_maxrec`` rows (with
    ``QUERY_STATUS=OVERFLOW`` when more matched), as DALI lets a service limit it.
    """
    request = one(params, "REQUEST")
    if request is not None and request.lower() != "querydata":
        raise UsageError(f"REQUEST must be queryData, got {request[:40]!r}")
    pos = parse_pos(one(params, "POS"))
    size = parse_size(one(params, "SIZE"))
    if size is not None and pos is None:
        raise UsageError("SIZE needs POS (the centre of the search)")
    formats, metadata = parse_format(one(params, "FORMAT"))
    collection = one(params, "COLLECTION")
    return SsaQuery(
        pos=pos,
        size_deg=DEFAULT_SIZE_DEG if size is None else size,
        band_m=parse_ssa_band(one(params, "BAND")),
        time_mjd=parse_time(one(params, "TIME")),
        formats=formats,
        metadata=metadata,
        maxrec=min(parse_maxrec(one(params, "MAXREC"), default_maxrec), hard_maxrec),
        collection=collection or None,
    )


def _float(text: str, name: str, form: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name} must be {form}, got {text[:40]!r}") from None
    if math.isnan(value):
        raise UsageError(f"{name} must be {form}, got NaN")
    return value


def parse_pos(text: str | None) -> tuple[float, float] | None:
    """``ra,dec[;ICRS]`` in degrees -> (ra, dec)."""
    if not text:
        return None
    form = "'ra,dec' in ICRS degrees (e.g. 10.68,41.27)"
    coords, _, frame = text.partition(";")
    if frame.strip() and frame.strip().upper() != "ICRS":
        raise UsageError(f"POS: only ICRS positions are served, got frame {frame[:20]!r}")
    parts = coords.split(",")
    if len(parts) != 2:
        raise UsageError(f"POS must be {form}, got {text[:40]!r}")
    ra, dec = (_float(p.strip(), "POS", form) for p in parts)
    if not (0 <= ra <= 360 and -90 <= dec <= 90):
        raise UsageError(f"POS {text[:40]!r} is outside 0 <= ra <= 360, -90 <= dec <= 90")
    return ra, dec


def parse_size(text: str | None) -> float | None:
    """``SIZE``: the search diameter in degrees, 0 < SIZE <= 360."""
    if not text:
        return None
    size = _float(text, "SIZE", "the search diameter in degrees")
    if not 0 < size <= 360:
        raise UsageError(f"SIZE must be a diameter in degrees, 0 < SIZE <= 360, got {text!r}")
    return size


def parse_ssa_band(text: str | None) -> tuple[float, float] | None:
    """SSAP ``BAND``: ``lo/hi`` in metres (a side may be empty), or one wavelength."""
    if not text:
        return None
    form = "'lo/hi' in metres (e.g. 4e-7/7e-7; a side may be left empty)"
    if "/" not in text:
        value = _float(text, "BAND", form)
        return _positive_interval(value, value, "BAND", text)
    lo_text, _, hi_text = text.partition("/")
    if "/" in hi_text:
        raise UsageError(f"BAND must be {form}, got {text[:40]!r}")
    lo = _float(lo_text, "BAND", form) if lo_text.strip() else -math.inf
    hi = _float(hi_text, "BAND", form) if hi_text.strip() else math.inf
    return _positive_interval(lo, hi, "BAND", text)


def parse_soda_band(values: Sequence[str]) -> tuple[float, float] | None:
    """SODA ``BAND``: ``lo hi`` in metres (``-Inf``/``+Inf`` for an open side); one only."""
    if not values:
        return None
    if len(values) > 1:
        raise UsageError("give one BAND per cut-out")
    text = values[0].strip()
    form = "'lo hi' in metres (e.g. 6.5e-7 6.6e-7)"
    parts = text.split()
    if len(parts) != 2 or len(text) > MAX_TEXT:
        raise UsageError(f"BAND must be {form}, got {text[:40]!r}")
    lo, hi = (_float(p, "BAND", form) for p in parts)
    return _positive_interval(lo, hi, "BAND", text)


def _positive_interval(lo: float, hi: float, name: str, text: str) -> tuple[float, float]:
    if lo > hi:
        raise UsageError(f"{name} {text[:40]!r}: the lower limit is above the upper one")
    if hi <= 0 or lo == math.inf:
        raise UsageError(f"{name} {text[:40]!r}: wavelengths in metres are positive")
    return lo, hi


def parse_time(text: str | None) -> tuple[float, float] | None:
    """``TIME``: ``start/end`` in ISO 8601 (a side may be empty), or one date -> MJD."""
    if not text:
        return None
    lo_text, slash, hi_text = text.partition("/")
    if not slash:
        hi_text = lo_text
    lo = _mjd(lo_text) if lo_text.strip() else -math.inf
    hi = _mjd(hi_text) if hi_text.strip() else math.inf
    if lo > hi:
        raise UsageError(f"TIME {text[:60]!r}: the start is after the end")
    return lo, hi


def _mjd(text: str) -> float:
    form = "'start/end' in ISO 8601 (e.g. 2012-01-01/2013-06-30T12:00:00)"
    if not re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?Z?\s*", text):
        raise UsageError(f"TIME must be {form}, got {text[:40]!r}")
    try:
        return float(Time(text.strip().rstrip("Z"), scale="utc").mjd)
    except ValueError:
        raise UsageError(f"TIME {text[:40]!r} is not a date") from None


def parse_format(text: str | None) -> tuple[tuple[str, ...] | None, bool]:
    """``FORMAT`` -> (MIME types wanted or None for all, whether it is METADATA)."""
    if not text:
        return None, False
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    if words == ["metadata"]:
        return None, True
    mimes: set[str] = set()
    for word in words:
        if word in ("all", "native"):
            return None, False
        if word in ("compliant", "votable", "xml"):
            mimes.add("application/x-votable+xml")
        elif word == "fits":
            mimes.add("application/fits")
        elif word == "graphic":
            mimes.add("image/png")
        elif _MIME.fullmatch(word):
            mimes.add(word.split(";", 1)[0])
        else:
            raise UsageError(
                f"FORMAT {word[:40]!r} is not one of all, native, compliant, votable, fits, "
                "graphic, metadata or a MIME type"
            )
    return tuple(sorted(mimes)), False


def parse_maxrec(text: str | None, default: int) -> int:
    """``MAXREC``: a whole number >= 0 (0 asks for the columns only)."""
    if not text:
        return default
    if not re.fullmatch(r"\d{1,18}", text):
        raise UsageError(f"MAXREC must be a whole number >= 0, got {text[:40]!r}")
    return int(text)
