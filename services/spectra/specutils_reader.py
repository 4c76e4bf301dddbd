"""specutils as the general fallback: FITS layouts the fast readers do not recognise.

:func:`services.spectra.readers.read_spectrum` calls :func:`read_with_specutils` only for a
well-formed FITS file its own readers gave up on (no 1-D spectrum in a layout they know),
never for truncated, corrupt or foreign files, whose first reason stands. specutils' format
registry then names the loader (SDSS-V, APOGEE, 6dF, MaNGA, JWST x1d, HST COS/STIS, DESI,
tabular-fits, wcs1d-fits...), the file is read with it, and the result is mapped onto
vocloud's :class:`~services.spectra.spectrum.Spectrum`:

* spectral axis converted to Angstrom (wavelength, frequency, energy or wavenumber; a
  pixel or velocity axis is refused: no wavelength to put on the grid). specutils' WCS
  loaders take a missing ``CUNIT1`` for Angstrom: vocloud applies its own plausibility
  rule instead and reports the guess, and refuses a header without any WCS;
* flux unit kept as specutils gives it;
* uncertainty in the record's form: ``StdDevUncertainty`` -> ``uncertainty``,
  ``VarianceUncertainty`` -> variance, ``InverseVariance`` -> ``ivar``, each converted to the
  flux unit (left out, with a warning, when its unit does not match);
* several spectra in the file (arms, orders, segments of a ``SpectrumList``) joined into one
  by :func:`services.spectra.orders.join_orders`; a 2-D flux (visits, fibres) gives its
  first row, with a warning; a data cube is refused.

Guessing must not make unreadable files slow or noisy: specutils is imported on first use
(~1 s, once per process), its warnings are recorded (:mod:`services.spectra.capture`), any
of its exceptions becomes :class:`SpecutilsFailed` with a one-line reason, and a layout no
loader recognised is remembered (by HDU structure and instrument keywords) so that a batch
of thousands of such files asks the registry once, not thousands of times.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import OrderedDict
from typing import Any

import astropy.units as u
import numpy as np
from astropy.io import fits

from services.spectra.assemble import assemble_columns
from services.spectra.capture import captured_warnings
from services.spectra.header_meta import AstropyHeader, HeaderLike, meta_from_header
from services.spectra.orders import Segment, join_orders
from services.spectra.spectrum import Spectrum, SpectrumMeta
from services.spectra.units import guess_wave_unit, range_warning, wave_to_angstrom

__all__ = ["SpecutilsFailed", "read_with_specutils"]

NOT_RECOGNISED = "no specutils loader recognises it either"
_MEMO_SIZE = 256
_KEY_CARDS = ("TELESCOP", "INSTRUME", "ORIGIN", "FILETYPE", "EXTNAME", "DATAMODL", "SURVEY")
_FLUX_KINDS = tuple(  # what a flux axis may be measured in (per sr too, for surface brightness)
    unit / solid
    for unit in (
        u.erg / u.s / u.cm**2 / u.AA,  # f_lambda
        u.erg / u.s / u.cm**2 / u.Hz,  # f_nu (Jy)
        u.photon / u.s / u.cm**2 / u.AA,
        u.photon / u.s / u.cm**2 / u.Hz,
        u.W / u.m**2,  # nu f_nu
        u.count,
        u.count / u.s,
        u.adu,
        u.adu / u.s,
        u.electron,
        u.electron / u.s,
    )
    for solid in (u.dimensionless_unscaled, u.sr)
)
_WCS_LOADERS = frozenset({"wcs1d-fits", "iraf"})  # loaders that default CUNIT1 to Angstrom
_WAT_UNITS = re.compile(r"units=\S+", re.IGNORECASE)
_UNCERTAINTY_ROLES = {  # specutils/astropy uncertainty class -> (role, power of the flux unit)
    "StdDevUncertainty": ("error", 1),
    "VarianceUncertainty": ("variance", 2),
    "InverseVariance": ("ivar", -2),
}


class SpecutilsFailed(Exception):
    """specutils could not read the file either; the message says why in one short line."""


@functools.cache
def _api() -> tuple[Any, Any] | None:
    """``(SpectrumList, identify_spectrum_format)``, or None without specutils."""
    try:
        with captured_warnings():
            from specutils import SpectrumList
            from specutils.io.registers import identify_spectrum_format
    except ImportError:
        return None
    return SpectrumList, identify_spectrum_format


class _Unrecognised:
    """Layouts no loader recognised, most recent last (a small LRU shared by threads)."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def __contains__(self, key: str) -> bool:
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return True
            return False

    def add(self, key: str) -> None:
        with self._lock:
            self._keys[key] = None
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)


_UNRECOGNISED = _Unrecognised(_MEMO_SIZE)


def _layout_key(path: str) -> str:
    """HDU classes, dimensions, column names, instrument keywords and the file name's
    pattern (digits aside): what loaders look at to recognise a file."""
    parts = [re.sub(r"\d+", "#", os.path.basename(path))]
    with (
        captured_warnings(),
        open(path, "rb") as fh,
        fits.open(fh, memmap=False, lazy_load_hdus=True) as hdul,
    ):
        for index, hdu in enumerate(hdul):
            if index >= 16:
                break
            header = hdu.header
            cards = [f"{k}={header.get(k)}" for k in _KEY_CARDS if k in header]
            columns = ",".join(hdu.columns.names) if hasattr(hdu, "columns") else ""
            parts.append(f"{type(hdu).__name__}:{header.get('NAXIS', 0)}:{columns}:{cards}")
    return "|".join(parts)


def _short(exc: BaseException) -> str:
    text = (str(exc) or type(exc).__name__).strip().splitlines()[0]
    return text if len(text) <= 160 else text[:157] + "..."


def _identify(api: tuple[Any, Any], path: str) -> str:
    """The loader specutils' registry picks for ``path`` (SpecutilsFailed when none does)."""
    spectrum_list, identify = api
    try:
        found = identify(path, dtype=spectrum_list)
    except Exception as exc:  # an identifier choking on the file: nothing recognised it
        raise SpecutilsFailed(f"{NOT_RECOGNISED} ({_short(exc)})") from None
    if not found:
        raise SpecutilsFailed(NOT_RECOGNISED)
    if isinstance(found, str):
        return found
    return max(found, key=lambda label: _priority(label, spectrum_list))  # as astropy picks


def _priority(label: str, spectrum_list: Any) -> int:
    """A loader's registered priority (0 when the registry does not say)."""
    from astropy.io.registry.compat import default_registry

    entry = getattr(default_registry, "_readers", {}).get((label, spectrum_list))
    return int(entry[1]) if isinstance(entry, tuple) and len(entry) > 1 else 0


def read_with_specutils(path: str) -> Spectrum:
    """Read a FITS file with the specutils loader its registry identifies.

    Parameters
    ----------
    path : str
        A well-formed FITS file the fast readers did not recognise.

    Returns
    -------
    Spectrum
        Format ``"specutils:<loader>"``; wavelength in Angstrom; several spectra joined.

    Raises
    ------
    SpecutilsFailed
        specutils is missing, recognises no loader, its loader fails, or what it gives
        has no wavelength axis (pixels, velocity) or is a data cube.
    """
    api = _api()
    if api is None:
        raise SpecutilsFailed("specutils is not installed")
    with captured_warnings() as caught:
        try:
            key = _layout_key(path)
        except Exception as exc:
            raise SpecutilsFailed(f"specutils not tried: {_short(exc)}") from None
        if key in _UNRECOGNISED:
            raise SpecutilsFailed(NOT_RECOGNISED)
        try:
            loader = _identify(api, path)
        except SpecutilsFailed:
            _UNRECOGNISED.add(key)
            raise
        spectrum = _read(api[0], path, loader)
    for warning in caught:
        spectrum.meta.warn(f"{warning.category.__name__}: {_short(warning.message)}")
    return spectrum


def _read(spectrum_list: Any, path: str, loader: str) -> Spectrum:
    """``path`` read with ``loader`` and mapped onto the record; any failure SpecutilsFailed."""
    try:
        spectra = spectrum_list.read(path, format=loader)
    except MemoryError:
        raise SpecutilsFailed(f"specutils' {loader!r} loader ran out of memory") from None
    except Exception as exc:
        raise SpecutilsFailed(f"specutils' {loader!r} loader failed: {_short(exc)}") from None
    try:
        return _record(list(spectra), loader, os.path.basename(path))
    except SpecutilsFailed:
        raise
    except Exception as exc:  # what the loader gave does not make a spectrum
        raise SpecutilsFailed(f"specutils' {loader!r} result unusable: {_short(exc)}") from None


def _header(spectrum: Any) -> HeaderLike:
    header = (getattr(spectrum, "meta", None) or {}).get("header")
    if isinstance(header, fits.Header):
        return AstropyHeader(header)
    if isinstance(header, dict):
        return {str(k).upper(): v for k, v in header.items()}
    return {}


def _record(spectra: list[Any], loader: str, source: str) -> Spectrum:
    """One vocloud Spectrum from specutils' spectra (joined when there are several)."""
    if not spectra:
        raise SpecutilsFailed(f"specutils' {loader!r} loader found no spectrum")
    notes: list[str] = []
    guesses: list[str] = []
    flux_unit = spectra[0].flux.unit
    segments = [_segment(s, flux_unit, loader, notes, guesses) for s in spectra]
    meta = meta_from_header(_header(spectra[0]), source=source, fmt=f"specutils:{loader}")
    for note in guesses:
        meta.guess(note)
    arrays = join_orders(segments, notes) if len(segments) > 1 else segments[0]
    if len(segments) > 1:
        meta.extra["n_orders"] = len(segments)
    warning = None if guesses else range_warning(arrays["wave"], str(spectra[0].spectral_axis.unit))
    for note in [*notes, *([warning] if warning else [])]:
        meta.warn(note)
    return assemble_columns(meta, arrays, u.AA, _checked_flux_unit(flux_unit, loader, meta))


def _checked_flux_unit(unit: u.UnitBase, loader: str, meta: SpectrumMeta) -> u.UnitBase | None:
    """``unit`` when it is a flux (density), a count or a ratio; else None with a warning."""
    if unit == u.dimensionless_unscaled:
        return None  # specutils' default when the file states none
    if any(unit.is_equivalent(kind) for kind in _FLUX_KINDS):
        return unit
    meta.warn(f"specutils' {loader!r} loader gives the flux unit '{unit}', not a flux: left unset")
    return None


def _assumed_unit(spectrum: Any, loader: str) -> bool:
    """Whether ``loader`` put a unit on the spectral axis that the header does not state
    (specutils' WCS loaders take a missing CUNIT1 for Angstrom)."""
    if loader not in _WCS_LOADERS:
        return False
    header = _header(spectrum)
    if not any(key in header for key in ("CRVAL1", "CD1_1", "CDELT1", "WAT2_001")):
        raise SpecutilsFailed("specutils found no wavelength axis (no WCS in the header)")
    stated = header.get("CUNIT1") or _WAT_UNITS.search(str(header.get("WAT1_001", "")))
    return not stated


def _wave_aa(spectrum: Any, loader: str, guesses: list[str]) -> np.ndarray:
    axis = spectrum.spectral_axis
    values, unit = np.asarray(axis.value, dtype=np.float64), axis.unit
    if unit == u.pix or unit.physical_type in ("dimensionless", "speed"):
        raise SpecutilsFailed(f"specutils found no wavelength axis (spectral axis in {unit})")
    try:
        if _assumed_unit(spectrum, loader):
            unit, note = guess_wave_unit(values)
            guesses.append(note)
        return wave_to_angstrom(values, unit)
    except ValueError as exc:
        raise SpecutilsFailed(str(exc)) from None


def _segment(
    spectrum: Any, flux_unit: u.UnitBase, loader: str, notes: list[str], guesses: list[str]
) -> Segment:
    """Role -> array of shape (n_pix,) for one specutils spectrum, in ``flux_unit``."""
    flux = spectrum.flux
    if flux.ndim > 2:
        raise SpecutilsFailed(f"a data cube of shape {flux.shape}, not a 1-D spectrum")
    row: tuple[int, ...] = ()
    if flux.ndim == 2:
        notes.append(f"{flux.shape[0]} spectra in one array (targets, fibres): the first read")
        row = (0,)
    try:
        values = flux[row].to_value(flux_unit)
    except u.UnitConversionError:
        raise SpecutilsFailed(f"spectra in {flux.unit} and {flux_unit} cannot be joined") from None
    wave = _wave_aa(spectrum, loader, guesses)
    segment: Segment = {"wave": wave, "flux": np.asarray(values, np.float64)}
    segment.update(_uncertainty(spectrum, row, flux.unit, flux_unit, notes))
    if spectrum.mask is not None:
        segment["mask"] = np.asarray(spectrum.mask)[row] != 0
    return segment


def _uncertainty(
    spectrum: Any, row: tuple[int, ...], unit: u.UnitBase, flux_unit: u.UnitBase, notes: list[str]
) -> Segment:
    uncertainty = spectrum.uncertainty
    if uncertainty is None:
        return {}
    role, power = _UNCERTAINTY_ROLES.get(type(uncertainty).__name__, (None, 0))
    if role is None:
        notes.append(f"uncertainty of type {type(uncertainty).__name__}: left out")
        return {}
    values = np.asarray(uncertainty.array, dtype=np.float64)[row]
    given = uncertainty.unit if uncertainty.unit is not None else unit**power
    try:
        return {role: (values * given).to_value(flux_unit**power)}
    except u.UnitConversionError:
        notes.append(f"uncertainty in {given} does not match the flux unit {unit}: left out")
        return {}
