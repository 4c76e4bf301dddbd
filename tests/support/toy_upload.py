"""The toy spectra (three line-profile classes) as FITS files in a .tar.gz, with labels."""

from __future__ import annotations

import csv
import io
import tarfile

import numpy as np
from astropy.io import fits

from tests.services.learning.conftest import make_spectra


def fits_bytes(flux: np.ndarray, name: str) -> bytes:
    hdu = fits.PrimaryHDU(flux.astype(np.float32))
    hdu.header.update(
        CRVAL1=6400.0,
        CDELT1=300.0 / (flux.size - 1),
        CRPIX1=1.0,
        CTYPE1="WAVE",
        CUNIT1="Angstrom",
        OBJECT=name,
    )
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def toy_archive(folder: str, seed: int = 5) -> tuple[bytes, str, list[str]]:
    """(tar.gz of s000.fits..., label snapshot CSV with paths under ``folder``, labels)."""
    flux, labels = make_spectra(seed=seed)
    archive, snapshot = io.BytesIO(), io.StringIO()
    rows = csv.writer(snapshot)
    rows.writerow(["path", "class"])
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for i, (spectrum, label) in enumerate(zip(flux, labels, strict=True)):
            # the folder in the object name: two tests' archives never share bytes (the
            # platform would skip the second as already stored)
            data = fits_bytes(spectrum, f"{folder} toy {i}")
            info = tarfile.TarInfo(f"s{i:03d}.fits")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            rows.writerow([f"{folder}/s{i:03d}.fits", label])
    return archive.getvalue(), snapshot.getvalue(), labels
