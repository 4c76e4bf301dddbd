"""IVOA Spectrum data model (SDM) VOTables, as served by SSA services."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from astropy.io import votable
from astropy.io.votable.tree import TableElement

from services.spectra.assemble import assemble_columns
from services.spectra.capture import captured_warnings
from services.spectra.columns import ColumnInfo
from services.spectra.fits_tables import arrays_from_columns
from services.spectra.header_meta import mjd_to_iso
from services.spectra.sniff import open_binary
from services.spectra.spectrum import Spectrum, SpectrumMeta, SpectrumReadError

__all__ = ["read_votable"]

_MAX_WARNINGS = 5
# utype suffix (lower case) -> SpectrumMeta attribute.
_PARAM_UTYPES = {
    "target.name": "object_name",
    "target.pos": "position",
    "spatialaxis.coverage.location.value": "position",
    "timeaxis.coverage.location.value": "obs_date",
    "dataid.instrument": "instrument",
    "target.redshift": "redshift",
    "derived.redshift.value": "redshift",
    "dataid.title": "title",
}
_PARAM_UCDS = {
    "meta.id;src": "object_name",
    "pos.eq": "position",
    "pos.eq.ra": "ra",
    "pos.eq.dec": "dec",
    "time.epoch": "obs_date",
    "src.redshift": "redshift",
    "meta.id;instr": "instrument",
}


def _column_infos(table: TableElement) -> list[ColumnInfo]:
    return [
        ColumnInfo(
            name=field.name or field.ID or f"col{i}",
            unit=str(field.unit) if field.unit is not None else None,
            ucd=field.ucd,
            utype=field.utype,
        )
        for i, field in enumerate(table.fields)
    ]


def _getter(table: TableElement, infos: list[ColumnInfo]) -> Any:
    names = table.array.dtype.names
    positions = {info.name: i for i, info in enumerate(infos)}

    def get(name: str) -> np.ndarray:
        column = table.array[names[positions[name]]]
        if column.dtype == object:  # variable-length array cells
            column = np.ma.asarray(list(column))
        values = np.ma.filled(np.ma.asarray(column).astype(np.float64), np.nan)
        if values.ndim == 2 and values.shape[0] == 1:
            values = values[0]
        if values.ndim != 1:
            raise ValueError(f"column {name!r} has shape {values.shape}, not one spectrum")
        return values

    return get


def _param_role(param: Any) -> str | None:
    utype = (param.utype or "").lower().rsplit(":", 1)[-1]
    for suffix, role in _PARAM_UTYPES.items():
        if utype.endswith(suffix):
            return role
    return _PARAM_UCDS.get((param.ucd or "").lower())


def _scalar(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, np.ma.MaskedArray) and value.mask is not np.ma.nomask:
        value = value.filled(np.nan)
    if isinstance(value, np.ndarray):
        return [v.item() if hasattr(v, "item") else v for v in value.reshape(-1)]
    return value.item() if hasattr(value, "item") else value


def _apply_param(meta: SpectrumMeta, role: str, value: Any) -> None:
    if role == "position" and isinstance(value, list) and len(value) >= 2:
        meta.ra, meta.dec = float(value[0]), float(value[1])
    elif role in ("ra", "dec") and isinstance(value, int | float):
        setattr(meta, role, float(value))
    elif role == "obs_date":
        if isinstance(value, int | float) and 0 < value < 1e6:
            meta.obs_date = mjd_to_iso(value)
        elif isinstance(value, str) and value.strip():
            meta.obs_date = value.strip()
    elif role == "redshift" and isinstance(value, int | float) and -1 < value < 100:
        meta.redshift = float(value)
    elif role in ("object_name", "instrument") and str(value).strip():
        setattr(meta, role, str(value).strip())
    elif role == "title" and str(value).strip():
        meta.extra["title"] = str(value).strip()


def _meta(vot: Any, table: TableElement, source: str) -> SpectrumMeta:
    meta = SpectrumMeta(source=source, format="votable-sdm")
    params = [*vot.iter_fields_and_params()]
    for param in params:
        if not hasattr(param, "value"):
            continue  # a FIELD
        role = _param_role(param)
        if role is not None:
            try:
                _apply_param(meta, role, _scalar(param.value))
            except (TypeError, ValueError):
                meta.warn(f"could not use PARAM {param.name!r} = {param.value!r}")
    wave_field = next((f for f in table.fields if (f.ucd or "").lower().startswith("em.wl")), None)
    if wave_field is not None:
        meta.wave_medium = "air" if "obs.atmos" in (wave_field.ucd or "").lower() else None
    return meta


def read_votable(path: str) -> Spectrum:
    """Read the first table of a VOTable that has a spectral axis and a flux column.

    Columns are found by SDM utype, then UCD, then name (see
    :mod:`services.spectra.columns`); units come from the FIELD ``unit`` attributes, and
    target name, position, date, instrument and redshift from the PARAMs.

    Parameters
    ----------
    path : str
        File path (may be gzipped).

    Returns
    -------
    Spectrum

    Raises
    ------
    SpectrumReadError
        Malformed XML, or no table with spectral and flux columns.
    """
    source = os.path.basename(path)
    with captured_warnings() as caught:
        try:
            with open_binary(path) as fh:
                vot = votable.parse(fh, verify="warn", filename=source)
        except Exception as exc:  # the XML parser raises many types
            raise SpectrumReadError(path, f"not a readable VOTable ({exc})") from exc
        spectrum = _first_spectrum(vot, source)
    if spectrum is None:
        raise SpectrumReadError(
            path, "no wavelength axis found (no table with spectral-axis and flux columns)"
        )
    for warning in caught[:_MAX_WARNINGS]:
        spectrum.meta.warn(f"{warning.category.__name__}: {warning.message}")
    return spectrum


def _first_spectrum(vot: Any, source: str) -> Spectrum | None:
    for table in vot.iter_tables():
        infos = _column_infos(table)
        if table.array is None or not len(table.array):
            continue
        found = arrays_from_columns(infos, _getter(table, infos))
        if found is None:
            continue
        arrays, wave_unit, flux_unit = found
        return assemble_columns(_meta(vot, table, source), arrays, wave_unit, flux_unit)
    return None
