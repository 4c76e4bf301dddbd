"""Row-stacked FITS spectra: an image whose rows are wavelength, flux, uncertainty [, flag].

This is how IRTF Spextool (SpeX, uSpeX, iSHELL) and the libraries built from it (the SpeX
Prism Library, the IRTF Spectral Library) and several IRAF-era archives distribute spectra:
no WCS, the wavelength of each pixel stored in a row of its own. Shapes, in NumPy axis
order (``NAXISn, ..., NAXIS1``):

* ``(k, n_pix)`` with ``k`` = 2-4: rows wavelength, flux[, 1-sigma uncertainty[, flag]];
* ``(n_pix, k)``: the same, transposed (columns instead of rows);
* ``(n_planes, k, n_pix)``: one plane per order and aperture, Spextool's cross-dispersed
  layout (``NORDERS``, ``NAPS`` cards; plane ``i * NAPS + j`` is order ``i``, aperture ``j``).
  The first aperture's orders are joined into one spectrum covering the whole range
  (:func:`services.spectra.orders.join_orders`); the other apertures are noted, not read.

Row roles come from the first word of ``BANDIDk`` labels when the header has them
(``wavelength``, ``flux``/``spectrum``, ``sigma``/``error``, ``variance``,
``flag``/``mask``/``quality``; IRAF writes ``'sigma - sigma spectrum'``), otherwise from the
order above. The layout is recognised only when the wavelength row is positive and strictly
monotonic where finite; a flag row is a bit mask, non-zero marks a bad pixel.

Units: wavelength from ``XUNITS`` (Spextool), ``WAVEUNIT``/``WAVUNIT``/``WUNIT``, ``CUNIT1``
or IRAF ``WAT1_001 units=``; flux from ``YUNITS`` (Spextool), ``BUNIT``, ``FLUXUNIT``. A file
that states no wavelength unit is read by the plausibility rule of
:func:`services.spectra.units.guess_wave_unit`, recorded in ``meta.guesses``.
"""

from __future__ import annotations

import re

import astropy.units as u
import numpy as np

from services.spectra.assemble import assemble_columns
from services.spectra.header_meta import HeaderLike, meta_from_header
from services.spectra.orders import join_orders
from services.spectra.spectrum import Spectrum, SpectrumMeta
from services.spectra.units import guess_wave_unit, parse_unit, range_warning, wave_to_angstrom

__all__ = ["FORMAT", "stacked_planes", "stacked_spectrum"]

FORMAT = "fits-row-stacked"
MIN_PIX = 5  # fewer pixels than this along the long axis: not a spectrum
_DEFAULT_ROLES = {
    2: ("wave", "flux"),
    3: ("wave", "flux", "error"),
    4: ("wave", "flux", "error", "mask"),
}
_LABELS = {  # first word of a BANDIDk label (IRAF: 'sigma - sigma spectrum') -> role
    **dict.fromkeys(("wave", "wavelength", "wavelengths", "lambda", "wl"), "wave"),
    **dict.fromkeys(("flux", "spectrum", "spec", "intensity", "counts"), "flux"),
    **dict.fromkeys(("sigma", "error", "err", "uncertainty", "noise", "stddev"), "error"),
    **dict.fromkeys(("variance", "var"), "variance"),
    **dict.fromkeys(("flag", "flags", "mask", "quality", "qual", "dq"), "mask"),
}
_WAVE_UNIT_KEYS = ("XUNITS", "WAVEUNIT", "WAVUNIT", "WUNIT", "CUNIT1")
_FLUX_UNIT_KEYS = ("YUNITS", "BUNIT", "FLUXUNIT", "FUNITS")
_WAT_UNITS = re.compile(r"units=(\S+)", re.IGNORECASE)


def stacked_planes(data: np.ndarray) -> np.ndarray | None:
    """The image as planes of rows, shape ``(n_planes, k, n_pix)``, or None for other shapes.

    Parameters
    ----------
    data : numpy.ndarray
        Image data of shape ``(k, n_pix)``, ``(n_pix, k)`` or ``(n_planes, k, n_pix)``.
    """
    if data.ndim == 2:
        rows, cols = data.shape
        if 2 <= rows <= 4 and cols >= MIN_PIX and cols > rows:
            return data[np.newaxis]
        if 2 <= cols <= 4 and rows >= MIN_PIX and rows > cols:
            return data.T[np.newaxis]
        return None
    if data.ndim == 3 and 2 <= data.shape[1] <= 4 and data.shape[2] >= MIN_PIX:
        return data
    return None


def _roles(header: HeaderLike, k: int) -> tuple[str, ...] | None:
    """Role of each of the ``k`` rows, from BANDIDk labels or the default order."""
    if "BANDID1" not in header:
        return _DEFAULT_ROLES[k]
    roles: list[str] = []
    for index in range(1, k + 1):
        words = re.findall(r"[a-z]+", str(header.get(f"BANDID{index}", "")).lower())
        role = _LABELS.get(words[0], "other") if words else "other"
        roles.append(role if role not in roles else "other")
    return tuple(roles) if {"wave", "flux"} <= set(roles) else None


def _is_wave(row: np.ndarray) -> bool:
    """Whether ``row`` is positive and strictly monotonic where finite (NaN padding is fine)."""
    values = row[np.isfinite(row)]
    if values.size < 2 or values.min() <= 0:
        return False
    steps = np.diff(values)
    return bool(np.all(steps > 0) or np.all(steps < 0))


def _first(header: HeaderLike, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = header.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _wave_unit_text(header: HeaderLike) -> str | None:
    text = _first(header, _WAVE_UNIT_KEYS)
    if text is None:
        match = _WAT_UNITS.search(str(header.get("WAT1_001", "")))
        text = match.group(1) if match else None
    return text


def _units(
    header: HeaderLike, waves: list[np.ndarray], meta: SpectrumMeta
) -> tuple[u.UnitBase, u.UnitBase | None]:
    """Wavelength unit (stated or guessed) and flux unit (None when not stated)."""
    text = _wave_unit_text(header)
    wave_unit = parse_unit(text)
    if text is not None and wave_unit is None:
        meta.warn(f"unrecognised wavelength unit {text!r}")
    if wave_unit is None:
        wave_unit, note = guess_wave_unit(np.concatenate(waves))
        meta.guess(note)
    else:
        warning = range_warning(wave_to_angstrom(np.concatenate(waves), wave_unit), str(text))
        if warning:
            meta.warn(warning)
    flux_text = _first(header, _FLUX_UNIT_KEYS)
    flux_unit = parse_unit(flux_text)
    if flux_text is not None and flux_unit is None:
        meta.warn(f"unrecognised flux unit {flux_text!r}")
    return wave_unit, flux_unit


def _apertures(header: HeaderLike, n_planes: int, meta: SpectrumMeta) -> list[int]:
    """Indices of the planes to read: the first aperture of every order."""
    naps = header.get("NAPS")
    if isinstance(naps, int) and not isinstance(naps, bool) and 1 < naps <= n_planes:
        if n_planes % naps:
            meta.warn(f"NAPS={naps} does not divide the {n_planes} planes: all read as orders")
            return list(range(n_planes))
        meta.warn(f"{naps} apertures per order: aperture 1 read, the others left out")
        return list(range(0, n_planes, naps))
    return list(range(n_planes))


def stacked_spectrum(header: HeaderLike, data: np.ndarray, source: str) -> Spectrum | None:
    """Spectrum from a row-stacked image, or None when the image is not one.

    Parameters
    ----------
    header : HeaderLike
        The image header.
    data : numpy.ndarray, float64
        Shape ``(k, n_pix)``, ``(n_pix, k)`` or ``(n_planes, k, n_pix)``, ``k`` = 2-4.
    source : str
        File base name.

    Returns
    -------
    Spectrum or None
        Format :data:`FORMAT`; wavelength in Angstrom; several orders joined into one.

    Raises
    ------
    ValueError
        The layout fits but its wavelengths fit no plausible unit, or a stated wavelength
        unit is not a spectral one (``XUNITS = 'Jy'``).
    """
    stack = stacked_planes(data)
    if stack is None:
        return None
    roles = _roles(header, stack.shape[1])
    if roles is None:
        return None
    wave_row = roles.index("wave")
    planes = [p for p in stack if np.isfinite(p[wave_row]).any()]  # all-NaN planes: padding
    if not planes or not all(_is_wave(p[wave_row]) for p in planes):
        return None
    meta = meta_from_header(header, source=source, fmt=FORMAT)
    if len(stack) > 1:
        planes = [stack[i] for i in _apertures(header, len(stack), meta)]
        planes = [p for p in planes if np.isfinite(p[wave_row]).any()]
    wave_unit, flux_unit = _units(header, [p[wave_row] for p in planes], meta)
    segments = [
        {
            "wave": wave_to_angstrom(plane[wave_row], wave_unit),
            **{role: plane[i] for i, role in enumerate(roles) if role not in ("wave", "other")},
        }
        for plane in planes
    ]
    notes: list[str] = []
    arrays = join_orders(segments, notes) if len(segments) > 1 else segments[0]
    for note in notes:
        meta.warn(note)
    if len(segments) > 1:
        meta.extra["n_orders"] = len(segments)
    return assemble_columns(meta, arrays, u.AA, flux_unit)
