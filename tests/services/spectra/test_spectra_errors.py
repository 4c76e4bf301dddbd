"""Unreadable files always give SpectrumReadError naming the file, never another exception."""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from services.spectra import SpectrumReadError, read_spectrum

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
HTML = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body></body></html>"


def _reason(path: Path) -> str:
    with pytest.raises(SpectrumReadError) as info:
        read_spectrum(path)
    message = str(info.value)
    assert message.startswith(f"{path.name}: "), message
    assert info.value.path == str(path)
    assert isinstance(info.value, ValueError)
    return info.value.reason


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_lamost(lamost_path: Path, tmp_path: Path, fraction: float) -> None:
    data = lamost_path.read_bytes()
    path = tmp_path / "spec.fits"
    path.write_bytes(data[: int(len(data) * fraction)])

    assert _reason(path).startswith("truncated FITS file (expected 2880-byte blocks)")


def test_truncated_ondrejov_header(ondrejov_path: Path, tmp_path: Path) -> None:
    data = ondrejov_path.read_bytes()
    path = tmp_path / "oe270005.fits"
    path.write_bytes(data[: len(data) // 2])  # cuts into the 4-block header

    assert _reason(path).startswith("truncated FITS file (expected 2880-byte blocks)")


@pytest.mark.parametrize("hdu", [1, 2])
def test_truncated_sdss_extension(sdss_path: Path, tmp_path: Path, hdu: int) -> None:
    with fits.open(sdss_path) as hdul:
        cut = hdul[hdu].fileinfo()["datLoc"] + 100  # inside the COADD or SPALL data
    path = tmp_path / "spec-cut.fits"
    path.write_bytes(sdss_path.read_bytes()[:cut])

    assert "truncated" in _reason(path)


def test_truncated_gzip(ondrejov_path: Path, tmp_path: Path) -> None:
    data = gzip.compress(ondrejov_path.read_bytes())
    path = tmp_path / "spec.fits.gz"
    path.write_bytes(data[: len(data) // 2])

    assert "gzip" in _reason(path)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("x.fits", PNG, "not a FITS file: a PNG image"),
        ("x.fits", HTML, "not a FITS file: an HTML page, not a spectrum"),
        ("x.fits", b"hello, world\n", "not a FITS file: starts with 'hello, world'"),
        ("page.txt", HTML, "an HTML page, not a spectrum"),
        ("download", b"  <html><body>login</body></html>", "an HTML page, not a spectrum"),
        ("data.json", b'{"wave": [1, 2]}', "a JSON document, not a spectrum"),
        ("x.xml", b"<?xml version='1.0'?><feed></feed>", "an XML document that is not a VOTable"),
        ("x.bin", bytes(range(256)) * 4, "an unrecognised binary file"),
        ("empty.fits", b"", "empty file (0 bytes)"),
        ("empty.csv", b"", "empty file (0 bytes)"),
    ],
)
def test_not_a_spectrum(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    assert _reason(path).startswith(expected)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert _reason(tmp_path / "nope.fits") == "no such file"
    assert "directory" in _reason(tmp_path)


def test_fits_header_without_end(tmp_path: Path) -> None:
    path = tmp_path / "noend.fits"
    card = b"SIMPLE  =                    T".ljust(80)
    path.write_bytes(card + b"COMMENT junk".ljust(80) * 35)  # one full block, no END

    assert _reason(path).startswith("truncated FITS file")


def test_fits_with_empty_primary_only(tmp_path: Path) -> None:
    path = tmp_path / "header-only.fits"
    fits.PrimaryHDU().writeto(path)

    assert _reason(path).startswith("no 1-D spectrum found")


def test_every_prefix_of_a_real_file_reads_or_fails_cleanly(
    ondrejov_path: Path, lamost_path: Path, tmp_path: Path
) -> None:
    for source in (ondrejov_path, lamost_path):
        data = source.read_bytes()
        with fits.open(source) as hdul:
            end_of_data = hdul[0].fileinfo()["datLoc"] + hdul[0].size
        for size in (1, 79, 80, 2879, 2880, 2881, 5760, 11520, 11521, 14400, end_of_data - 1):
            path = tmp_path / f"cut{size}.fits"
            path.write_bytes(data[:size])
            _reason(path)
        # Only the padding of the last block is missing: all data are there, so it reads.
        path.write_bytes(data[:end_of_data])
        assert read_spectrum(path).n_pix > 1000


def test_garbage_after_valid_fits_header(write_image: Callable[..., Path]) -> None:
    path = write_image(np.zeros(10, np.float32), {"CRVAL1": 1.0, "CDELT1": 1.0, "DC-FLAG": 0})
    data = bytearray(path.read_bytes())
    data[2880:] = np.random.default_rng(1).integers(0, 256, len(data) - 2880, np.uint8).tobytes()
    path.write_bytes(bytes(data))

    read_spectrum(path)  # the data are just numbers: still a (nonsense) spectrum, no crash


def test_error_pickles_with_path_and_reason() -> None:
    error = SpectrumReadError("/data/x.fits", "not a FITS file")
    clone = pickle.loads(pickle.dumps(error))

    assert str(clone) == "x.fits: not a FITS file"
    assert (clone.path, clone.reason) == ("/data/x.fits", "not a FITS file")
