"""The common grid and putting one spectrum onto it."""

import json

import numpy as np
import pytest

from services.datasets import (
    Coverage1D,
    Grid,
    GridError,
    ResampleError,
    ResampleOptions,
    air_to_vacuum,
    derive_grid,
    resample,
)
from services.spectra import Spectrum, SpectrumMeta


def spectrum(wave, flux, ivar=None, mask=None, **meta) -> Spectrum:
    return Spectrum(
        wave=wave,
        flux=flux,
        ivar=np.ones_like(wave) if ivar is None else ivar,
        mask=mask,
        meta=SpectrumMeta(source="s", format="memory", **meta),
    )


def test_linear_and_log_grids_have_the_asked_centres_and_edges():
    grid = Grid.linear(4000, 5000, 101)
    assert np.allclose(np.diff(grid.wave()), 10.0) and grid.edges()[0] == pytest.approx(3995)
    log = Grid.log(4000, 5000, 1e-4)
    assert np.allclose(np.diff(np.log10(log.wave())), 1e-4)
    assert log.wave_max <= 5000 and log.n_pix == 970
    assert np.allclose(np.diff(np.log10(log.edges())), 1e-4)


def test_grid_round_trips_through_json():
    grid = Grid.log(3700, 9000, 1e-4)
    assert Grid.from_dict(json.loads(json.dumps(grid.to_dict()))) == grid


def test_grid_refuses_an_empty_range_and_too_many_pixels():
    with pytest.raises(GridError):
        Grid.linear(5000, 4000, 10)
    with pytest.raises(GridError):
        Grid.linear(4000, 5000, 10**7)


def test_derived_grid_is_the_overlap_with_the_median_step():
    covs = [Coverage1D(4000, 8000, 2.0, 1e-4), Coverage1D(4500, 9000, 1.0, 2e-4)]
    covs.append(Coverage1D(4200, 7000, 1.5, 1e-4))
    grid = derive_grid(covs, spacing="linear")
    assert (grid.wave_min, grid.wave_max, grid.n_pix) == (4500, 7000, 1668)
    log = derive_grid(covs, spacing="log", wave_max=6000)
    assert log.wave_min == 4500 and log.step == pytest.approx(1e-4) and log.wave_max <= 6000


def test_derived_grid_falls_back_to_the_median_range_without_overlap():
    covs = [Coverage1D(4000, 5000, 1, 1e-4), Coverage1D(6000, 7000, 1, 1e-4)]
    covs.append(Coverage1D(4500, 6500, 1, 1e-4))
    grid = derive_grid(covs, coverage="overlap", n_pix=10)
    assert (grid.wave_min, grid.wave_max) == (4500, 6500)


def test_deriving_without_spectra_fails():
    with pytest.raises(GridError):
        derive_grid([], spacing="linear", wave_min=4000, wave_max=5000)


def test_flux_conserving_rebinning_conserves_the_integral():
    rng = np.random.default_rng(1)
    wave = np.sort(rng.uniform(4000, 6000, 3000))
    flux = 1 + rng.normal(0, 0.3, wave.size)
    edges_in = np.concatenate(
        (
            [wave[0] - (wave[1] - wave[0]) / 2],
            (wave[1:] + wave[:-1]) / 2,
            [wave[-1] + (wave[-1] - wave[-2]) / 2],
        )
    )
    # an output grid whose outer edges are exactly the input's
    n_pix = 777
    step = (edges_in[-1] - edges_in[0]) / n_pix
    grid = Grid.linear(edges_in[0] + step / 2, edges_in[-1] - step / 2, n_pix)
    out = resample(spectrum(wave, flux), grid, ResampleOptions(method="conserve"))
    assert np.sum(out.flux * np.diff(grid.edges())) == pytest.approx(
        np.sum(flux * np.diff(edges_in)), rel=1e-10
    )
    assert not out.mask.any()


def test_rebinning_propagates_the_variance_of_a_mean():
    wave = np.arange(4000.0, 5000.0, 1.0)
    out = resample(
        spectrum(wave, np.ones_like(wave), ivar=np.full(wave.size, 4.0)),
        Grid.linear(4010.5, 4980.5, 486),  # 2 Å pixels, each exactly two input pixels
        ResampleOptions(),
    )
    assert np.allclose(out.flux, 1.0) and np.allclose(out.ivar, 8.0)


def test_linear_mode_matches_np_interp():
    rng = np.random.default_rng(2)
    wave = np.sort(rng.uniform(4000, 6000, 500))
    flux = rng.normal(10, 1, wave.size)
    grid = Grid.log(4100, 5900, 2e-4)
    out = resample(spectrum(wave, flux), grid, ResampleOptions(method="linear"))
    assert np.allclose(out.flux, np.interp(grid.wave(), wave, flux))
    assert not out.mask.any()


@pytest.mark.parametrize("method", ["conserve", "linear"])
def test_pixels_outside_the_coverage_are_masked_without_information(method):
    wave = np.linspace(5000, 6000, 1001)
    grid = Grid.linear(4500, 6500, 201)
    out = resample(spectrum(wave, np.ones_like(wave)), grid, ResampleOptions(method=method))
    outside = (grid.wave() < 5000) | (grid.wave() > 6000)
    assert out.mask[outside].all() and (out.ivar[outside] == 0).all()
    assert (out.flux[outside] == 0).all()
    assert not out.mask[(grid.wave() > 5010) & (grid.wave() < 5990)].any()


def test_bad_input_pixels_mask_the_output_and_carry_no_weight():
    wave = np.arange(4000.0, 5000.0, 1.0)
    flux = np.ones_like(wave)
    mask = (wave >= 4400) & (wave < 4500)
    flux[mask] = 1e6
    grid = Grid.linear(4010, 4990, 99)  # 10 Å pixels
    out = resample(spectrum(wave, flux, mask=mask), grid, ResampleOptions())
    assert np.allclose(out.flux[~out.mask], 1.0)
    inside_gap = (grid.wave() >= 4410) & (grid.wave() <= 4490)
    assert out.mask[inside_gap].all() and (out.ivar[out.mask] == 0).all()
    assert out.n_good == 99 - 9 - 1  # the gap, and the pixel at 4400 Å that is mostly bad


def test_air_to_vacuum_at_h_alpha():
    assert air_to_vacuum(np.array([6562.80]))[0] == pytest.approx(6564.61, abs=0.01)
    assert air_to_vacuum(np.array([6563.0]))[0] == pytest.approx(6564.81, abs=0.01)
    assert air_to_vacuum(np.array([1500.0]))[0] == 1500.0  # vacuum below 2000 Å


def _line(centre: float, wave: np.ndarray) -> np.ndarray:
    return 1 + 5 * np.exp(-0.5 * ((wave - centre) / 1.0) ** 2)


def test_air_spectra_are_converted_when_auto_and_not_when_no():
    wave = np.linspace(6400, 6700, 3001)
    spec = spectrum(wave, _line(6562.80, wave), wave_medium="air")
    grid = Grid.linear(6450, 6650, 2001)
    peak = grid.wave()[np.argmax(resample(spec, grid, ResampleOptions()).flux)]
    assert peak == pytest.approx(6564.61, abs=0.1)
    kept = resample(spec, grid, ResampleOptions(air_to_vacuum="no"))
    assert grid.wave()[np.argmax(kept.flux)] == pytest.approx(6562.80, abs=0.1)
    assert not kept.vacuum
    vac = spectrum(wave, _line(6562.80, wave), wave_medium="vacuum")
    assert not resample(vac, grid, ResampleOptions()).vacuum
    assert resample(vac, grid, ResampleOptions(air_to_vacuum="yes")).vacuum


def test_rest_frame_divides_by_one_plus_z_and_flags_missing_redshifts():
    wave = np.linspace(6000, 8000, 4001)
    spec = spectrum(wave, _line(6563.0 * 1.1, wave), redshift=0.1, wave_medium="vacuum")
    grid = Grid.linear(5500, 7000, 3001)
    out = resample(spec, grid, ResampleOptions(rest_frame=True))
    assert grid.wave()[np.argmax(out.flux)] == pytest.approx(6563.0, abs=0.3)
    assert out.redshift == 0.1
    spec.meta.redshift = None
    assert resample(spec, grid, ResampleOptions(rest_frame=True)).redshift is None


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("none", 1.0), ("median", 3.0), ("mean", 4.0), ("max", 10.0), ("l2", np.sqrt(148.0))],
)
def test_each_normalisation_divides_by_its_statistic(mode, expected):
    wave = np.arange(1000.0, 1006.0)
    flux = np.array([1.0, 2.0, 3.0, 3.0, 5.0, 10.0])
    grid = Grid.linear(1000, 1005, 6)  # the spectrum's own pixels
    out = resample(spectrum(wave, flux), grid, ResampleOptions(normalisation=mode))
    assert not out.mask.any() and out.scale == pytest.approx(expected)
    assert np.allclose(out.flux * expected, flux)
    assert np.allclose(out.ivar, expected**2)


def test_window_normalisation_uses_the_median_inside_the_window():
    wave = np.linspace(4000, 6000, 2001)
    flux = np.where(wave < 5000, 2.0, 8.0)
    options = ResampleOptions(normalisation="window", norm_window=(5500, 5600))
    out = resample(spectrum(wave, flux), Grid.linear(4100, 5900, 181), options)
    assert out.scale == pytest.approx(8.0)
    with pytest.raises(ValueError):
        ResampleOptions(normalisation="window")


def test_unusable_spectra_raise_a_reason():
    wave = np.linspace(4000, 5000, 100)
    with pytest.raises(ResampleError, match="no good pixel"):
        resample(spectrum(wave, np.ones(100)), Grid.linear(7000, 8000, 10), ResampleOptions())
    with pytest.raises(ResampleError, match="cannot normalise"):
        resample(
            spectrum(wave, -np.ones(100)),
            Grid.linear(4100, 4900, 10),
            ResampleOptions(normalisation="median"),
        )


def test_spectra_without_uncertainties_get_a_der_snr_noise_estimate():
    rng = np.random.default_rng(3)
    wave = np.linspace(4000, 5000, 5000)
    flux = 100 + rng.normal(0, 2.0, wave.size)
    spec = Spectrum(wave=wave, flux=flux, meta=SpectrumMeta(source="s", format="memory"))
    out = resample(spec, Grid.linear(4100, 4900, 801), ResampleOptions(method="linear"))
    assert out.ivar_source == "der_snr"
    # an interpolated pixel is a mix of two: its variance lies between sigma**2 / 2 and sigma**2
    assert 1 / 4.0 * 0.8 < np.median(out.ivar) < 2 / 4.0 * 1.2
