"""What the test VO servers offer: spectra described for SSAP, real or synthetic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

AA_PER_M = 1e10


@dataclass(frozen=True)
class Dataset:
    """One spectrum a server offers (positions in degrees, wavelengths in metres)."""

    id: str
    path: Path
    ra: float
    dec: float
    wave_lo_m: float
    wave_hi_m: float
    mjd: float
    target: str
    soda: bool  # a linear 1-D WCS image: SODA cut-outs are offered

    @property
    def name(self) -> str:
        return self.path.name


def make_synthetic(directory: Path, n: int = 200, seed: int = 42, n_pix: int = 400) -> list:
    """Write ``n`` synthetic 1-D linear-WCS FITS spectra (Å) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pixels = np.arange(n_pix)
    datasets = []
    for i in range(n):
        start_aa, step_aa = rng.uniform(3800, 6000), rng.uniform(1.0, 2.0)
        ra, dec, centre = 150 + rng.uniform(0, 10), 10 + rng.uniform(0, 10), rng.uniform(0, n_pix)
        line = 0.5 * np.exp(-0.5 * ((pixels - centre) / 4) ** 2)
        flux = 1 + 0.1 * rng.standard_normal() * pixels / n_pix - line
        hdu, mjd, name = fits.PrimaryHDU(flux.astype(np.float32)), 55000 + i, f"SYN {i:04d}"
        hdu.header.update(CRVAL1=start_aa, CDELT1=step_aa, CRPIX1=1.0, CTYPE1="WAVE")
        hdu.header.update(CUNIT1="Angstrom", OBJECT=name, RA=ra, DEC=dec, BUNIT="ADU")
        hdu.header["DATE-OBS"] = _iso(mjd)
        path = directory / f"syn-{i:04d}.fits"
        hdu.writeto(path, overwrite=True)
        lo_m, hi_m = start_aa / AA_PER_M, (start_aa + step_aa * (n_pix - 1)) / AA_PER_M
        # one identifier per spectrum: two catalogues (seeds) never share one, as two real
        # archives would not (ingest dedupes by the publisher's identifier)
        dataset_id = f"ivo://vocloud.test/syn{seed}?{i:04d}"
        datasets.append(Dataset(dataset_id, path, ra, dec, lo_m, hi_m, mjd, name, True))
    return datasets


def _iso(mjd: float) -> str:
    from astropy.time import Time

    return Time(mjd, format="mjd").isot[:10]


def datasets_from_files(paths: list[Path]) -> list[Dataset]:
    """Describe real spectrum files (read with services.spectra) for the servers."""
    from astropy.time import Time

    from services.spectra import read_spectrum

    found = []
    for path in paths:
        spectrum = read_spectrum(path)
        meta = spectrum.meta
        header = fits.getheader(path)
        linear = header.get("NAXIS") == 1 and "CRVAL1" in header
        mjd = Time(meta.obs_date[:10]).mjd if meta.obs_date else 50000.0
        found.append(
            Dataset(
                f"ivo://vocloud.test/real?{path.stem}",
                path,
                float(meta.ra or 0.0),
                float(meta.dec or 0.0),
                float(spectrum.wave[0]) / AA_PER_M,
                float(spectrum.wave[-1]) / AA_PER_M,
                float(mjd),
                meta.object_name or path.stem,
                linear,
            )
        )
    return found
