"""Find the wavelength, flux, error and mask columns of a table.

Used for FITS binary tables, VOTables and text headers alike. Each column is matched,
in this order of preference, by its IVOA Spectrum data model utype, by its UCD, then by
its name (case-insensitive).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ROLES", "ColumnInfo", "match_columns"]

ROLES = ("wave", "flux", "ivar", "error", "variance", "mask")

# utype without namespace prefix ("spec:", "ssa:") nor leading "Spectrum.", lower case.
_UTYPES = {
    "data.spectralaxis.value": "wave",
    "data.fluxaxis.value": "flux",
    "data.fluxaxis.accuracy.staterror": "error",
    "data.fluxaxis.quality": "mask",
}
# First UCD word -> role.
_UCDS = {
    "em.wl": "wave",
    "em.freq": "wave",
    "em.energy": "wave",
    "em.wavenumber": "wave",
    "phot.flux.density": "flux",
    "phot.flux": "flux",
    "phot.count": "flux",
    "phot.fluence": "flux",
    "stat.error": "error",
    "stat.stdev": "error",
    "stat.variance": "variance",
    "stat.weight": "ivar",
    "meta.code.qual": "mask",
}
_NAMES: dict[str, tuple[str, ...]] = {
    "wave": (
        "wave", "wavelength", "lambda", "loglam", "wavelen", "lam", "wl", "loglambda",
        "log_wave", "log_lambda", "awav", "vwav", "waveobs", "wave_air", "wave_vac",
    ),
    "flux": (
        "flux", "fluxes", "flux_density", "f_lambda", "flam", "flambda", "fnu", "spec",
        "spectrum", "intensity", "counts", "flux_norm", "norm_flux",
    ),
    "ivar": ("ivar", "inverse_variance", "invvar", "inv_var", "flux_ivar"),
    "error": (
        "error", "err", "sigma", "uncertainty", "flux_err", "flux_error", "fluxerr", "e_flux",
        "sig", "noise", "stat_err", "staterror", "error_flux", "err_flux", "std", "stddev",
    ),
    "variance": ("variance", "var", "flux_var"),
    "mask": ("mask", "and_mask", "andmask", "quality", "qual", "flag", "flags", "bad_pixel"),
}  # fmt: skip
_LOG_WAVE_NAMES = frozenset({"loglam", "loglambda", "log_wave", "log_lambda"})


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """Description of one column.

    Attributes
    ----------
    name : str
        Column name as written in the file.
    unit : str or None
        Unit string (TUNIT, VOTable unit, ``[unit]`` in a text header).
    ucd : str or None
        Unified Content Descriptor, e.g. ``"em.wl"``.
    utype : str or None
        Data-model utype, e.g. ``"spec:Spectrum.Data.SpectralAxis.Value"``.
    """

    name: str
    unit: str | None = None
    ucd: str | None = None
    utype: str | None = None

    @property
    def is_log_wave(self) -> bool:
        """Whether the column holds log10(wavelength) (``loglam``, unit ``log(Angstrom)``)."""
        unit = (self.unit or "").strip().lower()
        return self.name.strip().lower() in _LOG_WAVE_NAMES or unit.startswith(("log(", "dex"))


def _utype_role(utype: str | None) -> str | None:
    if not utype:
        return None
    text = utype.strip().lower().rsplit(":", 1)[-1]
    text = text.removeprefix("spectrum.")
    return _UTYPES.get(text)


def _ucd_role(ucd: str | None) -> str | None:
    if not ucd:
        return None
    first = ucd.strip().lower().split(";", 1)[0]
    return _UCDS.get(first)


def match_columns(columns: list[ColumnInfo]) -> dict[str, int]:
    """Assign spectrum roles to columns.

    Parameters
    ----------
    columns : list of ColumnInfo
        The table's columns, in order.

    Returns
    -------
    dict
        Role (one of :data:`ROLES`) -> column index, for the roles found. Utypes beat UCDs,
        which beat names; within names, the earlier alias in the list wins.
    """
    found: dict[str, int] = {}
    for rule in (_utype_role, _ucd_role):
        for i, column in enumerate(columns):
            role = rule(column.utype if rule is _utype_role else column.ucd)
            if role is not None and role not in found and i not in found.values():
                found[role] = i
    lowered = [c.name.strip().lower() for c in columns]
    for role, aliases in _NAMES.items():
        if role in found:
            continue
        for alias in aliases:
            if alias in lowered and lowered.index(alias) not in found.values():
                found[role] = lowered.index(alias)
                break
    return found
