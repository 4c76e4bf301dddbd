"""SSAP 1.1 ``queryData`` over a user's catalogue: which rows match, and the response VOTable.

The response is a DALI results VOTable: ``QUERY_STATUS`` (``OK``, or ``OVERFLOW`` when
``MAXREC`` cut the rows), the SSAP columns clients look for by utype (publisher DID, title,
access reference and format, position, observation date, spectral coverage, collection),
the vocloud columns (``path``, labels, the latest prediction and its uncertainty: see
:data:`EXTRA_COLUMNS`) and a DataLink service descriptor whose ``ID`` comes from each row's
publisher DID, so that pyvo's ``getdatalink()`` and TOPCAT's DataLink window find the links.

Units: positions in degrees, wavelengths in metres (as SSAP BAND), dates as MJD.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from astropy.coordinates import angular_separation
from astropy.io.votable.tree import Info, TableElement

from services.vo_serve.catalogue import Catalogue
from services.vo_serve.documents import (
    add_field,
    fill,
    new_results,
    service_descriptor,
    text_param,
    to_bytes,
)
from services.vo_serve.params import SsaQuery
from services.vo_serve.urls import ServiceUrls

DATALINK_STANDARD = "ivo://ivoa.net/std/DataLink#links-1.1"
DID_FIELD = "ssa_pubDID"


class Column(NamedTuple):
    datatype: str
    unit: str | None
    ucd: str | None
    utype: str | None
    description: str
    arraysize: str | None = None
    null: int | None = None


# The SSAP columns, found by clients through their utypes (SSAP 1.1 section 4).
SSA_COLUMNS: dict[str, Column] = {
    DID_FIELD: Column("char", None, "meta.ref.ivoid;meta.main", "ssa:Curation.PublisherDID",
                      "Identifier of the spectrum (the DataLink ID)"),
    "ssa_dstitle": Column("char", None, "meta.title;meta.dataset", "ssa:DataID.Title",
                          "Title: object and file"),
    "accref": Column("char", None, "meta.ref.url", "ssa:Access.Reference", "The original file"),
    "mime": Column("char", None, "meta.code.mime", "ssa:Access.Format",
                   "MIME type of the original file"),
    "ssa_dstype": Column("char", None, "meta.code.class", "ssa:Dataset.Type",
                         "Type of the dataset"),
    "ssa_collection": Column("char", None, "meta.id;meta.dataset", "ssa:DataID.Collection",
                             "Your dataset holding it ('~files': ingested, in no dataset)"),
    "ssa_targname": Column("char", None, "meta.id;src", "ssa:Target.Name",
                           "Object name in the spectrum's header"),
    "ssa_location": Column("double", "deg", "pos.eq",
                           "ssa:Char.SpatialAxis.Coverage.Location.Value",
                           "ICRS position (RA, Dec) in the spectrum's header", arraysize="2"),
    "ra": Column("double", "deg", "pos.eq.ra;meta.main", None, "Right ascension (ICRS)"),
    "dec": Column("double", "deg", "pos.eq.dec;meta.main", None, "Declination (ICRS)"),
    "ssa_dateObs": Column("double", "d", "time.epoch",
                          "ssa:Char.TimeAxis.Coverage.Location.Value",
                          "Observation date (MJD, UTC)"),
    "ssa_specstart": Column("double", "m", "em.wl;stat.min",
                            "ssa:Char.SpectralAxis.Coverage.Bounds.Start",
                            "Shortest wavelength covered (observed frame)"),
    "ssa_specend": Column("double", "m", "em.wl;stat.max",
                          "ssa:Char.SpectralAxis.Coverage.Bounds.Stop",
                          "Longest wavelength covered (observed frame)"),
    "ssa_length": Column("long", None, "meta.number", "ssa:Dataset.Length",
                         "Pixels covered on the dataset's grid", null=-1),
    "ssa_redshift": Column("double", None, "src.redshift", "ssa:Target.Redshift",
                           "Redshift in the spectrum's header"),
    "ssa_snr": Column("double", None, "stat.snr", "ssa:Derived.SNR",
                      "Median signal-to-noise ratio per pixel"),
    "path": Column("char", None, "meta.id;meta.file", None, "The file, relative to your files"),
}  # fmt: skip

# name -> (datatype, unit, ucd, description): per-row annotations the web layer adds.
EXTRA_COLUMNS: dict[str, tuple[str, str | None, str, str]] = {
    "label": (
        "char",
        None,
        "meta.code.class",
        "Your label in the newest labelling session of this dataset that labels it",
    ),
    "label_session": ("char", None, "meta.id", "The labelling session that label is from"),
    "labels": (
        "char",
        None,
        "meta.code.class",
        "Your labels in every session of this dataset, 'session: label' joined by '; '",
    ),
    "prediction": (
        "char",
        None,
        "meta.code.class;stat.fit",
        "The model's prediction: the class, or for a number its predictive mean",
    ),
    "probability": (
        "double",
        None,
        "stat.probability",
        "Mean predictive probability of the predicted class",
    ),
    "sigma": ("double", None, "stat.stdev;stat.fit", "Predictive standard deviation"),
    "uncertainty": (
        "double",
        None,
        "stat.value",
        "The acquisition score (e.g. BALD) of that job: higher is more worth labelling",
    ),
    "prediction_job": (
        "char",
        None,
        "meta.id",
        "The completed score or al-round job the prediction comes from",
    ),
    "verdict": ("char", None, "meta.code.qual", "The expert's verdict in the assess job"),
}


def select(catalogue: Catalogue, query: SsaQuery) -> tuple[np.ndarray, bool]:
    """The rows matching ``query``, in catalogue order, and whether MAXREC cut them.

    Returns
    -------
    rows : ndarray of int64, shape (n_matched,)
        At most ``query.maxrec`` row indices.
    overflow : bool
        True when more rows matched than were returned.
    """
    cols = catalogue.columns
    keep = np.ones(len(catalogue), dtype=bool)  # [n]
    if query.collection is not None:
        keep &= cols["collection"] == query.collection
    if query.pos is not None:
        ra0, dec0 = np.radians(query.pos)
        with np.errstate(invalid="ignore"):
            distance = np.degrees(
                angular_separation(np.radians(cols["ra"]), np.radians(cols["dec"]), ra0, dec0)
            )  # [n], deg; NaN where the position is unknown
            keep &= distance <= query.size_deg / 2
    if query.band_m is not None:
        lo, hi = query.band_m
        with np.errstate(invalid="ignore"):
            keep &= (cols["wave_max_m"] >= lo) & (cols["wave_min_m"] <= hi)
    if query.time_mjd is not None:
        start, end = query.time_mjd
        with np.errstate(invalid="ignore"):
            keep &= (cols["mjd"] >= start) & (cols["mjd"] <= end)
    if query.formats is not None:
        keep &= np.isin(cols["mime"].astype(str), list(query.formats))
    rows = np.flatnonzero(keep)
    return rows[: query.maxrec], rows.size > query.maxrec


def ssa_votable(
    found: Catalogue,
    extra: dict[str, np.ndarray],
    urls: ServiceUrls,
    *,
    overflow: bool = False,
    description: str = "",
) -> bytes:
    """The SSAP response for the rows of ``found`` (already selected and cut to MAXREC).

    Parameters
    ----------
    found : Catalogue
        The rows to return, in order.
    extra : dict of str to ndarray, each shape (n_rows,)
        Annotation columns, names from :data:`EXTRA_COLUMNS` (others are refused).
    urls : ServiceUrls
        Where this user's services are: access references, DataLink.
    overflow : bool
        Report ``QUERY_STATUS=OVERFLOW`` (more rows matched than MAXREC).
    """
    votable, resource = new_results("OVERFLOW" if overflow else "OK")
    protocol = Info(name="SERVICE_PROTOCOL", value="1.1")
    protocol.content = "SSAP"
    resource.infos.append(protocol)
    table = _table(votable, description, list(extra))
    resource.tables.append(table)
    fill(table, _columns(found, extra, urls), len(found))
    votable.resources.append(_datalink_descriptor(votable, urls))
    return to_bytes(votable)


def _table(votable, description: str, extra_names: list[str]) -> TableElement:
    table = TableElement(votable, name="spectra")
    table.description = description or "Your spectra (vocloud SSAP 1.1)"
    for name, column in SSA_COLUMNS.items():
        add_field(
            votable,
            table,
            name,
            column.datatype,
            unit=column.unit,
            ucd=column.ucd,
            utype=column.utype,
            arraysize=column.arraysize,
            null=column.null,
            description=column.description,
        )
    for name in extra_names:
        datatype, unit, ucd, about = EXTRA_COLUMNS[name]
        add_field(votable, table, name, datatype, unit=unit, ucd=ucd, description=about)
    return table


def _columns(found: Catalogue, extra: dict[str, np.ndarray], urls: ServiceUrls) -> dict:
    cols = found.columns
    ids = cols["id"].astype(str)
    n = ids.size
    titles = [
        f"{obj} ({path})" if obj else str(path)
        for obj, path in zip(cols["object"], cols["path"], strict=True)
    ]
    return {
        DID_FIELD: ids,
        "ssa_dstitle": np.array(titles, dtype=object),
        "accref": np.array([urls.this(i) for i in ids], dtype=object),
        "mime": cols["mime"],
        "ssa_dstype": np.full(n, "Spectrum", dtype=object),
        "ssa_collection": cols["collection"],
        "ssa_targname": cols["object"],
        "ssa_location": np.stack([cols["ra"], cols["dec"]], axis=-1).reshape(n, 2),  # [n, 2]
        "ra": cols["ra"],
        "dec": cols["dec"],
        "ssa_dateObs": cols["mjd"],
        "ssa_specstart": cols["wave_min_m"],
        "ssa_specend": cols["wave_max_m"],
        "ssa_length": cols["n_pix"],
        "ssa_redshift": cols["redshift"],
        "ssa_snr": cols["snr"],
        "path": cols["path"],
        **{name: np.asarray(values) for name, values in extra.items()},
    }


def _datalink_descriptor(votable, urls: ServiceUrls):
    """DataLink for every row, its ID taken from the row's publisher DID (DataLink 1.1 4.1)."""
    inputs = [text_param(votable, "ID", "", ucd="meta.id;meta.main", ref=DID_FIELD)]
    return service_descriptor(votable, "datalink", DATALINK_STANDARD, urls.datalink, inputs)
