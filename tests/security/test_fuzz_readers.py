"""Property-based fuzzing of the spectrum readers: random bytes and damaged real files give a
Spectrum or a SpectrumReadError, never another exception (nor a hang)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
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
