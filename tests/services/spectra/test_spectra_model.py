"""The Spectrum data class and the small parsing helpers."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest

from services.spectra import Spectrum, SpectrumMeta, ivar_from_uncertainty, uncertainty_from_ivar
from services.spectra.columns import ColumnInfo, match_columns
from services.spectra.header_meta import mjd_to_iso, parse_angle
from services.spectra.units import parse_unit


def test_ivar_gives_uncertainty() -> None:
    spectrum = Spectrum(wave=[1, 2, 3], flux=[1, 1, 1], ivar=[4.0, 0.0, np.nan])

    np.testing.assert_array_equal(spectrum.ivar, [4.0, 0.0, 0.0])
    np.testing.assert_array_equal(spectrum.uncertainty, [0.5, np.inf, np.inf])
    np.testing.assert_array_equal(spectrum.good, [True, False, False])
    assert spectrum.wave.dtype == np.float64 and spectrum.wave_unit == u.AA


def test_uncertainty_gives_ivar() -> None:
    spectrum = Spectrum(wave=[1, 2, 3], flux=[1, 1, 1], uncertainty=[0.5, 0.0, -1.0])

    np.testing.assert_array_equal(spectrum.ivar, [4.0, 0.0, 0.0])
    np.testing.assert_array_equal(spectrum.uncertainty, [0.5, np.inf, np.inf])


def test_conversions_are_inverse() -> None:
    sigma = np.array([0.1, 1.0, 3.0])
    np.testing.assert_allclose(uncertainty_from_ivar(ivar_from_uncertainty(sigma)), sigma)


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="flux has 2 pixels"):
        Spectrum(wave=[1, 2, 3], flux=[1, 2])
    with pytest.raises(ValueError, match="must be 1-D"):
        Spectrum(wave=np.zeros((2, 2)), flux=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="mask has 1 pixels"):
        Spectrum(wave=[1, 2], flux=[1, 2], mask=[True])


def test_meta_as_dict() -> None:
    meta = SpectrumMeta(source="a.fits", format="fits-wcs-1d", ra=1.0)
    meta.warn("x")
    meta.warn("x")

    assert meta.as_dict()["ra"] == 1.0
    assert meta.warnings == ["x"]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("Angstrom", u.AA),
        ("angstroms", u.AA),
        ("Ang", u.AA),
        ("nm", u.nm),
        ("ADU", u.adu),
        ("counts", u.count),
        ("1E-17 erg/cm^2/s/Ang", 1e-17 * u.erg / u.cm**2 / u.s / u.AA),
        ("erg/s/cm2/A", u.erg / u.s / u.cm**2 / u.AA),
        ("10**-17 erg/s/cm^2/Angstrom", 1e-17 * u.erg / u.s / u.cm**2 / u.AA),
        ("Jy", u.Jy),
        ("", None),
        ("furlongs per fortnight squared", None),
    ],
)
def test_parse_unit(text: str, unit: u.UnitBase | None) -> None:
    parsed = parse_unit(text)
    if unit is None:
        assert parsed is None
    else:
        assert parsed is not None and parsed.is_equivalent(unit)
        assert parsed.to(unit) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("value", "hours", "degrees"),
    [
        ("21:57:18.2", True, 329.3258333),
        ("-05 30 00", False, -5.5),
        ("-00:30:00", False, -0.5),
        (148.203411, False, 148.203411),
        ("12.5", True, 12.5),  # a number is degrees even for RA
        ("n/a", True, None),
        (True, True, None),
    ],
)
def test_parse_angle(value: object, hours: bool, degrees: float | None) -> None:
    assert parse_angle(value, hours=hours) == pytest.approx(degrees)


def test_mjd_to_iso() -> None:
    assert mjd_to_iso(51544.5) == "2000-01-01T12:00:00"


def test_match_columns_priority() -> None:
    columns = [
        ColumnInfo("flux"),  # a name ...
        ColumnInfo("f_model", utype="spec:Spectrum.Data.FluxAxis.Value"),  # ... loses to a utype
        ColumnInfo("lam", ucd="em.wl"),
        ColumnInfo("E", ucd="stat.error;phot.flux"),
        ColumnInfo("QUALITY"),
    ]

    assert match_columns(columns) == {"flux": 1, "wave": 2, "error": 3, "mask": 4}
