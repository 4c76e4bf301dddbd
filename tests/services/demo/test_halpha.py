"""Synthetic H-alpha spectra: seeded, readable, and the classes look different."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from services.demo.halpha import (
    CLASSES,
    HALPHA_AA,
    N_PIX,
    synthetic_spectrum,
    write_halpha_set,
)
from services.spectra import read_spectrum

C_KM_S = 299_792.458


def test_the_same_seed_writes_the_same_files_and_another_seed_does_not(tmp_path):
    first = write_halpha_set(tmp_path / "a", n_spectra=6, seed=5)
    again = write_halpha_set(tmp_path / "b", n_spectra=6, seed=5)
    other = write_halpha_set(tmp_path / "c", n_spectra=6, seed=6)
    assert first == again
    for name, _kind in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / first[0][0]).read_bytes() != (
        tmp_path / "c" / other[0][0]
    ).read_bytes()


def test_classes_are_balanced_and_recorded_in_the_header(tmp_path):
    written = write_halpha_set(tmp_path, n_spectra=9, seed=0)
    assert sorted(kind for _name, kind in written) == sorted(CLASSES * 3)
    for name, kind in written:
        assert fits.getheader(tmp_path / name)["CLASS"] == kind


def test_spectra_read_back_as_linear_air_wavelength_spectra_around_halpha(tmp_path):
    (name, _kind), *_ = write_halpha_set(tmp_path, n_spectra=1, seed=0)
    spectrum = read_spectrum(tmp_path / name)
    assert spectrum.wave.shape == spectrum.flux.shape == (N_PIX,)
    assert spectrum.wave[0] == pytest.approx(6250.0)
    assert spectrum.wave[-1] == pytest.approx(6770.0)
    assert spectrum.meta.wave_medium == "air"
    assert spectrum.meta.object_name == "halpha-00000"
    assert np.all(spectrum.flux > 0)


def line_shape(kind: str, seed: int) -> tuple[float, float]:
    """(mean normalised flux - 1 within 3 A of H-alpha, offset of the peak from it in A)."""
    rng = np.random.default_rng(seed)
    flux, params = synthetic_spectrum(kind, rng)
    wave = np.linspace(6250.0, 6770.0, N_PIX)
    centre = HALPHA_AA * (1 + params["vrad"] / C_KM_S)
    near = np.abs(wave - centre) < 3.0
    normalised = flux / np.median(flux)
    peak = wave[near][np.argmax(normalised[near])]
    return float(normalised[near].mean() - 1), abs(peak - centre)


@pytest.mark.parametrize("seed", range(5))
def test_absorption_dips_emission_rises_and_double_peak_has_two_horns(seed):
    assert line_shape("absorption", seed)[0] < -0.05
    depth, offset = line_shape("emission", seed)
    assert depth > 0.1
    assert offset < 1.0
    depth, offset = line_shape("double-peak", seed)
    assert depth > 0.05
    assert offset > 1.0


def test_unknown_class_is_refused():
    with pytest.raises(ValueError, match="unknown class"):
        synthetic_spectrum("P Cygni", np.random.default_rng(0))
