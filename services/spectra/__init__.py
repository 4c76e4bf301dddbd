"""Django-free readers for astronomical spectra.

Public API
----------
read_spectrum(path) -> Spectrum
    Read a FITS (Ondřejov CCD700, LAMOST DR2, SDSS spec, 1-D WCS image, binary table,
    row-stacked wavelength/flux/error image), IVOA Spectrum VOTable, text or ECSV spectrum,
    recognising the format from the content; other FITS layouts through specutils' loaders.
sniff_format(path) -> str
    ``"fits"``, ``"votable"`` or ``"text"``: which reader :func:`read_spectrum` would use.
Spectrum
    Data class: ``wave`` (Angstrom), ``flux``, ``wave_unit``, ``flux_unit``, ``ivar``,
    ``uncertainty``, ``mask`` (True = bad), ``meta``; all arrays float64 of shape (n_pix,).
SpectrumMeta
    Object name, RA/Dec (deg), observation date (ISO), instrument, telescope, redshift,
    air/vacuum, source file, recognised format, extra header values, reader warnings and
    guesses (a wavelength unit inferred by the plausibility rule of ``units.py``).
SpectrumReadError
    ``ValueError`` subclass raised for any unreadable file; ``.path`` and ``.reason``.
ivar_from_uncertainty, uncertainty_from_ivar
    Conversions between inverse variance and 1-sigma errors (0 <-> inf for no information).
"""

from services.spectra.readers import read_spectrum, sniff_format
from services.spectra.spectrum import (
    Spectrum,
    SpectrumMeta,
    SpectrumReadError,
    ivar_from_uncertainty,
    uncertainty_from_ivar,
)

__all__ = [
    "Spectrum",
    "SpectrumMeta",
    "SpectrumReadError",
    "ivar_from_uncertainty",
    "read_spectrum",
    "sniff_format",
    "uncertainty_from_ivar",
]
