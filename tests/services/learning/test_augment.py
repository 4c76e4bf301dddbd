"""The physics of the pretraining augmentations: shifts, flux conservation, noise, tilt."""

from __future__ import annotations

import numpy as np
import pytest

from services.datasets.grid import Grid
from services.learning import augment as aug

GRIDS = {
    "linear": Grid.linear(5000.0, 6000.0, 1000),
    "log": Grid.log(5000.0, 6000.0, 1e-4),
}


def _line(grid: Grid, centre: float, sigma_pix: float = 2.0) -> np.ndarray:
    """A narrow Gaussian emission line at ``centre`` Å on a zero continuum, shape (1, n_pix)."""
    wave = grid.wave()
    width = sigma_pix * np.gradient(wave)[np.searchsorted(wave, centre)]
    return np.exp(-0.5 * ((wave - centre) / width) ** 2)[None, :]


def _centroid(grid: Grid, flux: np.ndarray) -> float:
    wave, width = grid.wave(), np.diff(grid.edges())
    return float(np.sum(wave * flux * width) / np.sum(flux * width))


def _integral(grid: Grid, flux: np.ndarray) -> np.ndarray:
    return np.sum(flux * np.diff(grid.edges()), axis=-1)


@pytest.mark.parametrize("kind", GRIDS)
@pytest.mark.parametrize("z", [1e-3, -1e-3, 3e-3, -2.5e-4])
def test_a_line_moves_to_lambda_times_one_plus_z(kind, z):
    grid = GRIDS[kind]
    centre = 5500.0
    flux = _line(grid, centre)
    shifted, _ = aug.doppler_shift(flux, None, grid, z)
    pixel = np.gradient(grid.wave())[np.searchsorted(grid.wave(), centre)]
    moved = _centroid(grid, shifted[0]) - _centroid(grid, flux[0])
    expected = _centroid(grid, flux[0]) * z
    assert abs(moved - expected) < 0.05 * pixel, (moved, expected, pixel)
    # and the peak pixel moved by the right number of pixels (to within one)
    assert abs(grid.wave()[shifted[0].argmax()] - centre * (1 + z)) <= pixel


@pytest.mark.parametrize("kind", GRIDS)
def test_the_shift_conserves_the_integrated_flux(kind):
    grid = GRIDS[kind]
    flux = _line(grid, 5400.0) + 0.5 * _line(grid, 5600.0, 4.0)
    for z in (2e-3, -2e-3):
        shifted, _ = aug.doppler_shift(flux, None, grid, z)
        assert _integral(grid, shifted) == pytest.approx(_integral(grid, flux), rel=1e-9)


def test_a_zero_shift_is_the_identity_and_one_z_per_spectrum_works():
    grid = GRIDS["linear"]
    flux = np.vstack([_line(grid, 5300.0), _line(grid, 5700.0)])
    same, _ = aug.doppler_shift(flux, None, grid, 0.0)
    np.testing.assert_allclose(same, flux, atol=1e-12)
    both, _ = aug.doppler_shift(flux, None, grid, np.array([1e-3, -1e-3]))
    assert _centroid(grid, both[0]) > _centroid(grid, flux[0])
    assert _centroid(grid, both[1]) < _centroid(grid, flux[1])


def test_the_shift_scales_ivar_and_loses_pixels_that_came_from_beyond_the_grid():
    grid = GRIDS["linear"]
    flux, ivar = np.ones((1, grid.n_pix)), np.full((1, grid.n_pix), 100.0)
    z = 5e-3  # 27.5 Å: the first ~27 pixels come from below the grid
    shifted, new_ivar = aug.doppler_shift(flux, ivar, grid, z)
    assert new_ivar[0, 0] == 0 and new_ivar[0, 100] == pytest.approx(100.0 * (1 + z) ** 2)
    assert np.isfinite(shifted).all()
    with pytest.raises(ValueError):
        aug.doppler_shift(flux, ivar, grid, -1.0)


def test_noise_has_variance_one_over_ivar_and_keeps_the_flux_in_expectation():
    grid = GRIDS["linear"]
    rng = np.random.default_rng(0)
    flux = np.full((400, grid.n_pix), 2.0)
    ivar = np.full_like(flux, 25.0)  # sigma 0.2
    ivar[:, :10] = 0.0  # unknown errors: DER_SNR of a flat spectrum is 0, so no noise there
    noisy, new_ivar = aug.add_noise(flux, ivar, rng)
    residual = noisy[:, 10:] - flux[:, 10:]
    assert residual.var() == pytest.approx(1 / 25.0, rel=0.02)
    n = residual.size
    # the mean flux is unchanged (within 4 standard errors) and so is the integral
    assert abs(residual.mean()) < 4 * 0.2 / np.sqrt(n)
    integral = _integral(grid, noisy).mean()
    assert integral == pytest.approx(_integral(grid, flux[0]), rel=1e-3)
    np.testing.assert_array_equal(noisy[:, :10], 2.0)
    assert new_ivar[0, 20] == pytest.approx(12.5) and new_ivar[0, 0] == 0


def test_noise_where_ivar_is_unknown_comes_from_the_spectrums_own_sn():
    rng = np.random.default_rng(1)
    flux = 1.0 + 0.1 * rng.standard_normal((200, 2000))
    sigma = aug.der_snr_sigmas(flux)
    assert sigma.mean() == pytest.approx(0.1, rel=0.03)
    noisy, _ = aug.add_noise(flux, None, rng)
    assert (noisy - flux).std() == pytest.approx(0.1, rel=0.03)


@pytest.mark.parametrize("kind", GRIDS)
def test_the_tilt_keeps_the_flux_at_the_pivot(kind):
    grid = GRIDS[kind]
    flux, ivar = np.ones((3, grid.n_pix)), np.ones((3, grid.n_pix))
    alpha = np.array([0.5, -1.0, 2.0])
    tilted, new_ivar = aug.continuum_tilt(flux, ivar, grid, alpha, pivot=grid.wave()[300])
    np.testing.assert_allclose(tilted[:, 300], 1.0)
    assert tilted[0, -1] > 1 > tilted[1, -1]
    np.testing.assert_allclose(new_ivar * tilted**2, 1.0)
    default, _ = aug.continuum_tilt(flux, None, grid, 1.0)
    pivot = np.sqrt(grid.wave_min * grid.wave_max)
    assert np.interp(pivot, grid.wave(), default[0]) == pytest.approx(1.0, abs=1e-4)


def test_masked_segments_have_no_weight_and_follow_the_continuum():
    rng = np.random.default_rng(2)
    grid = GRIDS["linear"]
    slope = np.linspace(1.0, 2.0, grid.n_pix)[None, :].repeat(5, axis=0)
    ivar = np.ones_like(slope)
    masked, new_ivar = aug.mask_segments(slope, ivar, rng, n_segments=3, max_fraction=0.05)
    hidden = new_ivar == 0
    assert hidden.any() and hidden.sum(axis=1).max() <= 3 * 50
    np.testing.assert_allclose(masked, slope, atol=1e-12)  # a straight continuum is kept
    zeros, zero_ivar = aug.mask_segments(slope, ivar, rng, fill="zero")
    assert np.all(zeros[zero_ivar == 0] == 0)
    assert np.all(ivar == 1)  # inputs untouched


def test_augment_is_reproducible_with_a_seed_and_differs_between_seeds():
    grid = GRIDS["log"]
    flux = np.vstack([1 + _line(grid, 5500.0)] * 4)
    ivar = np.full_like(flux, 100.0)
    one = aug.augment(flux, ivar, grid, np.random.default_rng(3))
    two = aug.augment(flux, ivar, grid, np.random.default_rng(3))
    other = aug.augment(flux, ivar, grid, np.random.default_rng(4))
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    assert not np.allclose(one[0], other[0])
    assert one[0].dtype == np.float32 and one[0].shape == flux.shape
