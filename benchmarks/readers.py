"""Reader speed per layout: ``read_spectrum`` files/s on the fast paths and the new ones.

Layouts: the real LAMOST DR2 and Ondřejov CCD700 files (fast header reader), a synthetic SDSS
``spec-*.fits`` and FITS binary table (astropy), a text file, SpeX Prism Library and Spextool
SXD row-stacked images, and unreadable images that go on to specutils (first file of a layout,
then the rest of the batch, which the registry is not asked about again).

Compare two trees in one run on the same machine: ``--tree /path/to/other/checkout`` imports
``services`` from there (layouts it cannot read are reported as such).

Usage: python benchmarks/readers.py [--files 300] [--repeats 5] [--tree PATH]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "spectra"


def _copies(source: Path, directory: Path, n: int) -> list[Path]:
    directory.mkdir(parents=True)
    return [Path(shutil.copy(source, directory / f"{i:05d}-{source.name}")) for i in range(n)]


def make_layouts(tmp: Path, n: int) -> dict[str, list[Path]]:
    """Layout name -> ``n`` files of it (copies: the page cache holds them all)."""
    from tests.services.spectra.archive_layouts import write_spex_prism, write_spextool_sxd
    from tests.services.spectra.conftest import _sdss_hdul

    data = ROOT / "tests" / "data" / "spectra"
    made = tmp / "made"
    made.mkdir()
    _sdss_hdul(3000).writeto(made / "spec-0266-51602-0003.fits")
    columns = [
        fits.Column("wavelength", "D", unit="Angstrom", array=np.linspace(4000, 7000, 3000)),
        fits.Column("flux", "E", array=np.ones(3000, np.float32)),
        fits.Column("error", "E", array=np.full(3000, 0.1, np.float32)),
    ]
    table = fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns)])
    table.writeto(made / "table.fits")
    lines = "".join(f"{w:.3f} 1.0 0.1\n" for w in np.linspace(4000, 7000, 3000))
    (made / "spectrum.txt").write_text(lines)
    write_spex_prism(made / "prism.fits")
    write_spextool_sxd(made / "sxd.fits")
    fits.PrimaryHDU(np.random.default_rng(0).normal(size=(3, 564)).astype(np.float32)).writeto(
        made / "noise.fits"
    )
    sources = {
        "lamost-dr2 (real)": data / "lamost-dr2" / "spec-56257-GAC089N38V2_sp01-001.fits",
        "ondrejov-ccd700 (real)": data / "ondrejov" / "oe270005.fits",
        "sdss-spec": made / "spec-0266-51602-0003.fits",
        "fits-table": made / "table.fits",
        "ascii (3000 lines)": made / "spectrum.txt",
        "row-stacked prism (3 x 564)": made / "prism.fits",
        "row-stacked SXD (6 x 4 x 1220)": made / "sxd.fits",
        "unreadable -> specutils": made / "noise.fits",
    }
    return {name: _copies(path, tmp / f"l{i}", n) for i, (name, path) in enumerate(sources.items())}


def rate(read, paths: list[Path]) -> tuple[float, str]:
    """Files/s over ``paths``, and the first failure's reason if any failed."""
    failed = ""
    start = time.perf_counter()
    for path in paths:
        try:
            read(path)
        except ValueError as exc:  # SpectrumReadError
            failed = failed or getattr(exc, "reason", str(exc))
    return len(paths) / (time.perf_counter() - start), failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tree", type=Path, default=ROOT, help="import services from here")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(args.tree))
    from services.spectra import read_spectrum

    with tempfile.TemporaryDirectory(prefix="vocloud-readers-bench-") as name:
        layouts = make_layouts(Path(name), args.files)
        first = layouts["unreadable -> specutils"][0]
        start = time.perf_counter()
        rate(read_spectrum, [first])  # imports specutils, asks its registry once
        first_s = time.perf_counter() - start
        print(f"services from {args.tree}; {args.files} files per layout, median of {args.repeats}")
        print(f"first unreadable file (specutils import + registry): {first_s * 1000:8.1f} ms")
        for layout, paths in layouts.items():
            results = [rate(read_spectrum, paths) for _ in range(args.repeats)]
            median = float(np.median([r for r, _ in results]))
            failed = results[0][1]
            note = f"  (fails: {failed[:70]})" if failed else ""
            print(f"{layout:32s} {median:9.1f} files/s{note}")


if __name__ == "__main__":
    main()
