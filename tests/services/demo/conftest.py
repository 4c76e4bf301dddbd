"""A fake sdss-mangadap wheel (a few MILES-like files) for tests that must not download."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from services.demo import miles

PARAMS_DB = """\
#MILES  Teff  log g   [Fe/H]
#s????
# - - - - - - - - - - - - --
  0001  5305   4.49    -0.75
  0078 13800   2.44     9999
  022.  7950   3.95     0.35
  0970 99999   9999     9999
"""
PARAMS_TXT = """\
Name                  MILES   CaT   SpT            Teff   log g   [Fe/H]  Refs   Libraries
                      s????
 - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - --
HD224930               0001         G3 V            5305   4.49    -0.75   333
HD013267               0078   197   B5Ia           13800   2.44      --    66            E
HD044691A              022.         A3m             7950   3.95     0.35   333
M71 X             Cl   0970                           --     --      --    1
"""


def fits_bytes(n_pix: int = 8) -> bytes:
    buffer = io.BytesIO()
    hdu = fits.PrimaryHDU(np.ones(n_pix))
    hdu.header.update(CRPIX1=1, CRVAL1=3540.5, CDELT1=0.9)
    hdu.writeto(buffer)
    return buffer.getvalue()


def fake_wheel(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    members = {
        miles.WHEEL_FOLDER + "MILES_params.db": PARAMS_DB.encode(),
        miles.WHEEL_FOLDER + "paramsMILES_v9.1.txt": PARAMS_TXT.encode(),
        miles.WHEEL_FOLDER + "MILES_res2.50_star_m0001V.fits": fits_bytes(),
        miles.WHEEL_FOLDER + "omit/MILES_res2.50_star_m0970V.fits": fits_bytes(),
        "mangadap/__init__.py": b"",
        "mangadap/data/spectral_templates/miles_thin/README": b"not MILES",
        miles.WHEEL_LICENSE: b"BSD 3-Clause License\n",
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def fake_miles_dir(tmp_path) -> Path:
    """A finished MILES extraction of the fake wheel: one spectrum (m0001, HD224930, G)."""
    dest = tmp_path / "cache" / "miles"
    dest.parent.mkdir()
    miles.extract_miles(fake_wheel(tmp_path / "fake.whl"), dest)
    return dest
