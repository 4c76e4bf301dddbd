"""Property-based fuzzing of the spectrum readers: random bytes and damaged real files give a
Spectrum or a SpectrumReadError, never another exception (nor a hang)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.spectra import SpectrumReadError, read_spectrum

DATA = Path(__file__).resolve().parents[1] / "data" / "spectra"
REAL = sorted(DATA.glob("*/*.fits"))
SUFFIXES = [".fits", ".fit", ".fits.gz", ".vot", ".xml", ".csv", ".txt", ".dat", ""]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _read(path: Path) -> None:
    with contextlib.suppress(SpectrumReadError):
        read_spectrum(path)


@FUZZ
@given(content=st.binary(max_size=6000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes(tmp_path, content, suffix):
    target = tmp_path / f"random{suffix}"
    target.write_bytes(content)
    _read(target)


@FUZZ
@given(
    index=st.integers(min_value=0, max_value=max(len(REAL) - 1, 0)),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2**31), st.integers(0, 255)), max_size=8
    ),
)
def test_truncated_or_corrupted_real_files(tmp_path, index, cut, flips):
    if not REAL:
        pytest.skip("no real spectra in tests/data/spectra")
    content = bytearray(REAL[index].read_bytes())
    content = content[: max(1, int(len(content) * cut))] if cut < 1 else content
    for position, value in flips:
        content[position % 8640 % len(content)] = value  # mostly the header blocks
    target = tmp_path / REAL[index].name
    target.write_bytes(bytes(content))
    _read(target)


@FUZZ
@given(
    lines=st.lists(
        st.lists(
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True).map(repr),
                st.text(alphabet="0123456789.eE+-nainf ,#", max_size=10),
            ),
            min_size=1,
            max_size=4,
        ),
        max_size=30,
    ),
    separator=st.sampled_from([",", " ", "\t", ";"]),
)
def test_text_tables(tmp_path, lines, separator):
    target = tmp_path / "spectrum.csv"
    target.write_text("\n".join(separator.join(cells) for cells in lines))
    _read(target)


# Row-stacked images (services/spectra/stacked.py) are a way in of their own: malformed
# wavelength rows, degenerate shapes, huge declared shapes and wrong unit cards must end in a
# Spectrum or a SpectrumReadError, quickly.
def _image(path: Path, data: np.ndarray, **cards: object) -> Path:
    hdu = fits.PrimaryHDU(data)
    for key, value in cards.items():
        hdu.header[key] = value
    hdu.writeto(path)
    return path


def _wave_rows(n: int = 50) -> np.ndarray:
    return np.vstack([np.linspace(1.0, 2.0, n), np.ones(n), np.full(n, 0.1)])


def _with(rows: np.ndarray, index: tuple, value: float) -> np.ndarray:
    rows = rows.copy()
    rows[index] = value
    return rows


MALFORMED_STACKED = {
    "all NaN": (np.full((3, 100), np.nan), {}),
    "NaN wavelength row": (_with(_wave_rows(), (0, slice(None)), np.nan), {}),
    "one wavelength left": (_with(_wave_rows(), (0, slice(1, None)), np.nan), {}),
    "NaN flux row": (_with(_wave_rows(), (1, slice(None)), np.nan), {}),
    "inf wavelengths": (_with(_wave_rows(), (0, slice(0, 10)), np.inf), {}),
    "zero wavelengths": (_with(_wave_rows(), (0, slice(None)), 0.0), {}),
    "negative wavelengths": (-_wave_rows(), {}),
    "repeated wavelength": (_with(_wave_rows(), (0, 5), 1.0), {}),
    "one row": (np.linspace(1.0, 2.0, 564)[np.newaxis], {}),
    "one pixel per row": (np.ones((3, 1)), {}),
    "two by two": (np.ones((2, 2)), {}),
    "five rows": (np.vstack([_wave_rows(), _wave_rows()[:2]]), {}),
    "empty orders": (np.full((6, 4, 100), np.nan), {"NAPS": 1}),
    "orders of NaN and one good": (
        np.concatenate([np.full((2, 3, 50), np.nan), _wave_rows()[np.newaxis]]),
        {},
    ),
    "NAPS zero": (np.stack([_wave_rows()] * 4), {"NAPS": 0}),
    "NAPS negative": (np.stack([_wave_rows()] * 4), {"NAPS": -3}),
    "NAPS not a number": (np.stack([_wave_rows()] * 4), {"NAPS": "two"}),
    "NAPS not dividing": (np.stack([_wave_rows()] * 4), {"NAPS": 3}),
    "NAPS huge": (np.stack([_wave_rows()] * 4), {"NAPS": 10**9}),
    "XUNITS Jy": (_wave_rows(), {"XUNITS": "Jy"}),
    "XUNITS nonsense": (_wave_rows(), {"XUNITS": "furlongs per fortnight"}),
    "XUNITS a number": (_wave_rows(), {"XUNITS": 12}),
    "XUNITS Hz": (_wave_rows(), {"XUNITS": "Hz"}),
    "XUNITS km/s": (_wave_rows(), {"XUNITS": "km/s"}),
    "YUNITS nonsense": (_wave_rows(), {"YUNITS": "((("}),
    "no unit, pixel-like": (np.vstack([np.arange(1.0, 101.0), np.ones(100)]), {}),
    "two wavelength bands": (_wave_rows(), {"BANDID1": "wavelength", "BANDID2": "wave"}),
    "bands without flux": (_wave_rows(), {"BANDID1": "wavelength", "BANDID2": "sigma"}),
    "empty band labels": (_wave_rows(), {"BANDID1": "", "BANDID2": "  "}),
}


@pytest.mark.parametrize("case", list(MALFORMED_STACKED))
def test_malformed_row_stacked_images(tmp_path, case):
    data, cards = MALFORMED_STACKED[case]
    _read(_image(tmp_path / "stacked.fits", data.astype(np.float32), **cards))


def _declared(path: Path, shape: tuple[int, ...], data_bytes: int) -> Path:
    """A FITS header declaring ``shape`` (NAXIS1 first) followed by only ``data_bytes``."""
    cards = ["SIMPLE  =                    T", "BITPIX  =                  -32"]
    cards.append(f"NAXIS   = {len(shape):>20d}")
    cards += [f"NAXIS{k:<3d}= {n:>20d}" for k, n in enumerate(shape, start=1)]
    cards += ["XUNITS  = 'um      '", "END"]
    header = "".join(card.ljust(80) for card in cards).ljust(2880).encode("ascii")
    path.write_bytes(header + b"\x3f\x80\x00\x00" * (data_bytes // 4))
    return path


@pytest.mark.parametrize(
    "shape",
    [(2**31 - 1, 3), (3, 2**31 - 1), (564, 4, 2**30), (2**62, 3), (564, 3, 0), (0, 3)],
)
def test_huge_declared_row_stacked_shapes_fail_fast(tmp_path, shape):
    path = _declared(tmp_path / "huge.fits", shape, data_bytes=2880)
    start = time.perf_counter()
    _read(path)
    assert time.perf_counter() - start < 5


@FUZZ
@given(
    rows=st.integers(min_value=1, max_value=5),
    n_pix=st.integers(min_value=0, max_value=40),
    values=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=200),
    xunits=st.sampled_from([None, "um", "Angstrom", "nm", "Hz", "Jy", "", "m/s", "log(A)"]),
    transpose=st.booleans(),
)
def test_random_row_stacked_images(tmp_path, rows, n_pix, values, xunits, transpose):
    data = np.resize(np.asarray(values or [np.nan], np.float32), (rows, n_pix))
    data[0] = np.sort(data[0])  # often a valid wavelength row, so the reader gets past detection
    cards = {} if xunits is None else {"XUNITS": xunits}
    path = tmp_path / "random-stacked.fits"
    path.unlink(missing_ok=True)
    _image(path, data.T if transpose else data, **cards)
    _read(path)
