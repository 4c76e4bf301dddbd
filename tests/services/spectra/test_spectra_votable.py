"""IVOA Spectrum data model VOTables (synthetic, written with astropy)."""

from __future__ import annotations

import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io.votable.tree import Field, Param, Resource, TableElement, VOTableFile

from services.spectra import SpectrumReadError, read_spectrum

N = 40
WAVE = np.linspace(4000.0, 4400.0, N)
FLUX = np.linspace(1e-15, 2e-15, N)
ERR = np.full(N, 1e-17)


def _votable(path: Path, fields: list[dict], columns: list[np.ndarray], params=()) -> Path:
    votable = VOTableFile()
    resource = Resource()
    votable.resources.append(resource)
    table = TableElement(votable)
    resource.tables.append(table)
    with warnings.catch_warnings():  # "Angstrom is deprecated in VOUnit"...: real files do it
        warnings.simplefilter("ignore")
        for param in params:
            table.params.append(Param(votable, **param))
        table.fields.extend(Field(votable, datatype="double", **spec) for spec in fields)
        table.create_arrays(len(columns[0]))
        for i, row in enumerate(zip(*columns, strict=True)):
            table.array[i] = row
        votable.to_xml(str(path))
    return path


SDM_PARAMS = [
    {"name": "TargetName", "datatype": "char", "arraysize": "*", "value": "HD 1234",
     "utype": "spec:Spectrum.Target.Name"},
    {"name": "Position", "datatype": "double", "arraysize": "2", "value": [10.5, -20.25],
     "utype": "spec:Spectrum.Char.SpatialAxis.Coverage.Location.Value", "unit": "deg"},
    {"name": "MJD", "datatype": "double", "value": 55000.25,
     "utype": "spec:Spectrum.Char.TimeAxis.Coverage.Location.Value", "unit": "d"},
    {"name": "Instrument", "datatype": "char", "arraysize": "*", "value": "CCD700",
     "utype": "spec:Spectrum.DataID.Instrument"},
    {"name": "Redshift", "datatype": "double", "value": 0.0123,
     "utype": "spec:Spectrum.Target.Redshift"},
]  # fmt: skip


def test_sdm_votable_round_trip(tmp_path: Path) -> None:
    fields = [
        {"name": "WAVE", "unit": "Angstrom", "utype": "spec:Spectrum.Data.SpectralAxis.Value"},
        {"name": "FLUX", "unit": "erg/s/cm2/Angstrom",
         "utype": "spec:Spectrum.Data.FluxAxis.Value"},
        {"name": "ERR", "unit": "erg/s/cm2/Angstrom",
         "utype": "spec:Spectrum.Data.FluxAxis.Accuracy.StatError"},
    ]  # fmt: skip
    path = _votable(tmp_path / "sdm.xml", fields, [WAVE, FLUX, ERR], SDM_PARAMS)

    spectrum = read_spectrum(path)

    assert spectrum.meta.format == "votable-sdm"
    np.testing.assert_allclose(spectrum.wave, WAVE, rtol=1e-15)
    np.testing.assert_allclose(spectrum.flux, FLUX, rtol=1e-15)
    np.testing.assert_allclose(spectrum.uncertainty, ERR, rtol=1e-15)
    np.testing.assert_allclose(spectrum.ivar, 1e34, rtol=1e-12)
    assert spectrum.flux_unit == u.erg / u.s / u.cm**2 / u.AA
    meta = spectrum.meta
    assert meta.object_name == "HD 1234"
    assert (meta.ra, meta.dec) == (10.5, -20.25)
    assert meta.obs_date == "2009-06-18T06:00:00"
    assert meta.instrument == "CCD700"
    assert meta.redshift == pytest.approx(0.0123)


def test_utypes_are_case_insensitive_with_any_prefix(tmp_path: Path) -> None:
    fields = [  # names that would not be recognised on their own, in a misleading order
        {"name": "b", "utype": "SSA:DATA.FLUXAXIS.VALUE"},
        {"name": "a", "unit": "nm", "utype": "Spectrum.Data.SpectralAxis.Value"},
    ]
    path = _votable(tmp_path / "caps.vot", fields, [FLUX, WAVE / 10])

    spectrum = read_spectrum(path)

    np.testing.assert_allclose(spectrum.wave, WAVE)
    np.testing.assert_allclose(spectrum.flux, FLUX)


def test_columns_found_by_ucd(tmp_path: Path) -> None:
    fields = [
        {"name": "x", "unit": "um", "ucd": "em.wl;obs.atmos"},
        {"name": "y", "unit": "Jy", "ucd": "phot.flux.density;em.wl"},
        {"name": "z", "unit": "Jy", "ucd": "stat.error;phot.flux.density"},
    ]
    path = _votable(tmp_path / "ucd.xml", fields, [WAVE / 1e4, FLUX, ERR])

    spectrum = read_spectrum(path)

    np.testing.assert_allclose(spectrum.wave, WAVE)
    np.testing.assert_allclose(spectrum.uncertainty, ERR)
    assert spectrum.flux_unit == u.Jy
    assert spectrum.meta.wave_medium == "air"


def test_frequency_axis_becomes_increasing_wavelength(tmp_path: Path) -> None:
    freq = (WAVE * u.AA).to_value(u.Hz, equivalencies=u.spectral())
    fields = [{"name": "nu", "unit": "Hz", "ucd": "em.freq"}, {"name": "flux", "unit": "Jy"}]
    path = _votable(tmp_path / "freq.xml", fields, [freq, FLUX])

    spectrum = read_spectrum(path)

    np.testing.assert_allclose(spectrum.wave, WAVE, rtol=1e-12)
    np.testing.assert_allclose(spectrum.flux, FLUX)


def test_names_as_last_resort(tmp_path: Path) -> None:
    fields = [{"name": "Wavelength"}, {"name": "FLUX"}]
    path = _votable(tmp_path / "names.xml", fields, [WAVE, FLUX])

    assert read_spectrum(path).n_pix == N


def test_votable_without_spectral_axis(tmp_path: Path) -> None:
    fields = [{"name": "ra"}, {"name": "dec"}]
    path = _votable(tmp_path / "catalogue.xml", fields, [WAVE, FLUX])

    with pytest.raises(SpectrumReadError, match=r"catalogue\.xml: no wavelength axis found"):
        read_spectrum(path)


def test_malformed_votable(tmp_path: Path) -> None:
    path = tmp_path / "broken.vot"
    path.write_text('<?xml version="1.0"?>\n<VOTABLE version="1.4"><RESOURCE><TABLE>')

    with pytest.raises(SpectrumReadError, match=r"broken\.vot: "):
        read_spectrum(path)
