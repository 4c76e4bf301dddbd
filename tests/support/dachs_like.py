"""An SSAP + DataLink + SODA service on 127.0.0.2 that answers the way GAVO DaCHS 2.7 does.

What it copies from DaCHS (each seen on a real DaCHS 2.7, issue 13):

- ``SIZE`` is read as a **radius** (SSAP 1.1 says diameter);
- every VOTable it serves (SSAP answers, DataLink documents, the spectra themselves as
  SDM VOTables, SODA cut-outs) carries **fresh random element IDs**, so two downloads of
  one spectrum never have the same bytes;
- the SSAP table names the publisher DID ``ssa_pubDID`` (utype ``ssa:Curation.PublisherDID``,
  UCD ``meta.ref.uri;meta.curation``) and the position ``ssa_location`` (``double[2]``,
  ``xtype="point"``); the DataLink service descriptor refers to the DID column by its
  (random) ID;
- DataLink (``/dlmeta``) answers an unknown or withdrawn ID with an ``error_message`` row
  ``NotFoundFault: No spectrum with this pubDID known here`` whose semantics is ``#this``
  and whose access_url and service_def are empty;
- the SODA sync service is ``/sdl/dlget`` (no "soda" in the URL), offered through a
  ``#proc`` row and a service descriptor with ``standardID ivo://ivoa.net/std/SODA#sync-1.0``;
  a BAND that leaves nothing answers **204 No Content**.

``withdrawn``: dataset IDs the SSAP table still lists but DataLink no longer knows;
``no_position``: dataset IDs whose SSAP row has no position (always listed, as a service
that cannot place them does).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import quote

import numpy as np
from astropy.io import fits

from tests.support.vo_catalogue import AA_PER_M, Dataset
from tests.support.vo_servers import (
    DATALINK_ID,
    DATALINK_MIME,
    SODA_ID,
    VOServer,
    _data,
    _error_votable,
    _matches,
    _param,
    _row,
    _separation,
    _service,
    _tag,
    _votable,
)

VOTABLE_MIME = "application/x-votable+xml"
NOT_FOUND = "NotFoundFault: No spectrum with this pubDID known here"
_SSA = "ssa:Char.SpectralAxis.Coverage.Bounds."


def _rid() -> str:
    """A random element ID, as DaCHS writes a new one into every document."""
    return "ndd" + secrets.token_hex(6)


class DachsLikeServer(VOServer):
    """SSAP at ``/ssap``, DataLink at ``/dlmeta``, SODA at ``/sdl/dlget``, spectra at
    ``/getproduct/<name>.vot`` (SDM VOTables)."""

    def __init__(self, datasets: list[Dataset]) -> None:
        super().__init__(datasets)
        self.withdrawn: set[str] = set()
        self.no_position: set[str] = set()

    def product_url(self, d: Dataset) -> str:
        return f"{self.url}/getproduct/{quote(d.path.stem)}.vot"

    def route(self, handler, path: str, query: dict, raw: dict) -> None:
        if path == "/ssap":
            status, body = self.ssap(query)
            return handler.send(status, body.encode(), VOTABLE_MIME)
        if path == "/dlmeta":
            return handler.send(200, self.datalink(raw.get("ID", [])).encode(), DATALINK_MIME)
        if path == "/sdl/dlget":
            return self.soda(handler, query)
        stem = path.removeprefix("/getproduct/").removesuffix(".vot")
        found = [d for d in self.datasets.values() if d.path.stem == stem]
        if path.startswith("/getproduct/") and found:
            return handler.send(200, _sdm(found[0], None).encode(), VOTABLE_MIME)
        handler.send(404, b"not found")

    # -- SSAP: SIZE read as a radius --------------------------------------------------------
    def ssap(self, query: dict) -> tuple[int, str]:
        rest = {k: v for k, v in query.items() if k not in ("POS", "SIZE")}
        try:
            rows = [d for d in self.datasets.values() if _matches(d, rest)]
            if query.get("POS"):
                ra, dec = (float(v) for v in query["POS"].split(",")[:2])
                radius = float(query.get("SIZE") or 1.0)  # the radius, not SIZE / 2
                rows = [
                    d
                    for d in rows
                    if d.id in self.no_position or _separation(d.ra, d.dec, ra, dec) <= radius
                ]
            maxrec = int(query.get("MAXREC", "10000"))
        except ValueError as exc:
            return 200, _error_votable(str(exc))
        status = "OVERFLOW" if len(rows) > maxrec else "OK"
        return 200, self._ssap_table(rows[:maxrec], status)

    def _ssap_table(self, rows: list[Dataset], status: str) -> str:
        did_id = _rid()
        fields = [
            ("ssa_pubDID", "char", "*", None, "meta.ref.uri;meta.curation",
             "ssa:Curation.PublisherDID", did_id),
            ("ssa_location", "double", "2", "deg", "pos.eq",
             "ssa:Char.SpatialAxis.Coverage.Location.Value", _rid()),
            ("ssa_specstart", "double", None, "m", None, _SSA + "Start", _rid()),
            ("ssa_specend", "double", None, "m", None, _SSA + "Stop", _rid()),
            ("accref", "char", "*", None, "meta.ref.url", "ssa:Access.Reference", _rid()),
            ("mime", "char", "*", None, None, "ssa:Access.Format", _rid()),
        ]  # fmt: skip
        body = []
        for d in rows:
            where = "" if d.id in self.no_position else f"{d.ra!r} {d.dec!r}"
            cells = [d.id, where, d.wave_lo_m, d.wave_hi_m, self.product_url(d), VOTABLE_MIME]
            body.append(_row(cells))
        head = "".join(_field_x(*f) for f in fields)
        info = _tag("INFO", {"name": "QUERY_STATUS", "value": status, "ID": _rid()})
        table = _tag("TABLE", {"ID": _rid(), "name": "ssa"}, head + _data(body))
        dl = _service(_rid(), DATALINK_ID, f"{self.url}/dlmeta", _param("ID", value="", ref=did_id))
        results = _tag("RESOURCE", {"type": "results", "ID": _rid()}, info + table)
        return _votable(results + dl)

    # -- DataLink: error rows as DaCHS writes them -------------------------------------------
    def datalink(self, ids: list[str]) -> str:
        rows, services = [], []
        for dataset_id in ids:
            d = self.datasets.get(dataset_id)
            if d is None or dataset_id in self.withdrawn:
                rows.append([dataset_id, "", "", NOT_FOUND, "", "#this", ""])
                continue
            rows.append([d.id, self.product_url(d), "", "", "The spectrum", "#this", VOTABLE_MIME])
            preview = f"{self.url}/getproduct/{quote(d.path.stem)}.png"
            rows.append([d.id, preview, "", "", "A preview", "#preview", "image/png"])
            service_id = _rid()
            rows.append([d.id, "", service_id, "", "SODA cut-outs", "#proc", ""])
            services.append(self._soda_descriptor(service_id, d))
        names = "ID access_url service_def error_message description semantics content_type"
        fields = "".join(_field_x(name, id_=_rid()) for name in names.split())
        table = _tag("TABLE", {"ID": _rid()}, fields + _data([_row(r) for r in rows]))
        results = _tag("RESOURCE", {"type": "results", "ID": _rid()}, table)
        return _votable(results + "".join(services))

    def _soda_descriptor(self, service_id: str, d: Dataset) -> str:
        values = f'<VALUES><MIN value="{d.wave_lo_m!r}"/><MAX value="{d.wave_hi_m!r}"/></VALUES>'
        band = _param("BAND", "double", "2", value="", xtype="interval", unit="m", ucd="em.wl")
        band = band.replace("/>", f">{values}</PARAM>")
        inputs = _param("ID", value=d.id, ucd="meta.id;meta.main") + band
        return _service(service_id, SODA_ID, f"{self.url}/sdl/dlget", inputs)

    # -- SODA: 204 on an empty cut-out ------------------------------------------------------
    def soda(self, handler, query: dict) -> None:
        d = self.datasets.get(query.get("ID", ""))
        if d is None or d.id in self.withdrawn:
            return handler.send(422, NOT_FOUND.encode())
        band = None
        if query.get("BAND"):
            try:
                band = tuple(float(v) for v in query["BAND"].split())
            except ValueError:
                return handler.send(422, b"UsageFault: BAND must be two numbers")
        body = _sdm(d, band)
        if not body:
            return handler.send(204)
        handler.send(200, body.encode(), VOTABLE_MIME)


def _field_x(name, datatype="char", arraysize="*", unit=None, ucd=None, utype=None, id_=None):
    attrs = {"name": name, "ID": id_, "datatype": datatype, "arraysize": arraysize}
    if arraysize == "2" and datatype == "double":
        attrs["xtype"] = "point"
    return _tag("FIELD", {**attrs, "unit": unit, "ucd": ucd, "utype": utype})


def _spectrum(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(wave_aa, flux) of a linear 1-D WCS FITS spectrum, each shape (n_pix,)."""
    with fits.open(path) as hdul:
        header, flux = hdul[0].header, np.asarray(hdul[0].data, dtype=float)
    pixel = np.arange(flux.size) + 1 - header.get("CRPIX1", 1.0)
    return header["CRVAL1"] + pixel * header["CDELT1"], flux


def _sdm(d: Dataset, band_m: tuple[float, ...] | None) -> str:
    """The spectrum (or its cut to ``band_m``) as an SDM VOTable with random IDs; "" if
    the cut leaves nothing."""
    wave_aa, flux = _spectrum(d.path)
    if band_m is not None:
        keep = (wave_aa >= band_m[0] * AA_PER_M) & (wave_aa <= band_m[-1] * AA_PER_M)
        wave_aa, flux = wave_aa[keep], flux[keep]
        if not wave_aa.size:
            return ""
    params = _param("TargetName", value=d.target, utype="spec:Target.Name", ID=_rid())
    params += _param(
        "Location",
        "double",
        "2",
        value=f"{d.ra!r} {d.dec!r}",
        unit="deg",
        ucd="pos.eq",
        utype="spec:Char.SpatialAxis.Coverage.Location.Value",
        ID=_rid(),
    )
    wave = _field_x(
        "spectral", "double", None, "Angstrom", "em.wl", "spec:Data.SpectralAxis.Value", _rid()
    )
    value = _field_x(
        "flux", "double", None, None, "phot.flux.density;em.wl", "spec:Data.FluxAxis.Value", _rid()
    )
    rows = [_row([float(w), float(f)]) for w, f in zip(wave_aa, flux, strict=True)]
    body = params + wave + value + _data(rows)
    table = _tag("TABLE", {"ID": _rid(), "utype": "spec:Spectrum"}, body)
    return _votable(_tag("RESOURCE", {"type": "results", "ID": _rid()}, table))
