"""Real VO services on 127.0.0.2 (``REMOTE_HOST``) for tests: SSAP 1.1, DataLink 1.1, SODA
sync, static files.

Independent of pytest: ``with VOServer(datasets) as server: ...``. Each server is an
``http.server.ThreadingHTTPServer`` on a free port. Fault modes are chosen per dataset
file name in ``server.faults``: ``"stall"`` (sleeps longer than any client timeout),
``"html"`` (an HTML error page with status 200 instead of FITS), ``"truncated"`` (half of
the FITS file), ``"flaky"`` (HTTP 500 ``server.flaky_failures`` times, then the file),
``"dlerror"`` (DataLink answers an ``error_message`` row for the dataset).
"""

from __future__ import annotations

import contextlib
import html
import io
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np
from astropy.io import fits

from tests.support.remote import REMOTE_HOST
from tests.support.vo_catalogue import AA_PER_M, Dataset, datasets_from_files, make_synthetic

__all__ = ["Dataset", "StaticServer", "VOServer", "datasets_from_files", "make_synthetic"]
SODA_ID = "ivo://ivoa.net/std/SODA#sync-1.0"
DATALINK_ID = "ivo://ivoa.net/std/DataLink#links-1.1"
DATALINK_MIME = "application/x-votable+xml;content=datalink"
VOTABLE_HEAD = (
    '<?xml version="1.0"?>\n<VOTABLE version="1.3" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
)
DATALINK_COLUMNS = "ID access_url service_def error_message description semantics content_type"
_SSA = "ssa:Char.SpectralAxis.Coverage.Bounds."
SSAP_FIELDS = [  # name, datatype, arraysize, unit, ucd, utype, ID
    ("pubDID", "char", "*", None, "meta.ref.ivoid", "ssa:Curation.PublisherDID", "pubDID"),
    ("title", "char", "*", None, None, "ssa:DataID.Title"),
    ("targname", "char", "*", None, None, "ssa:Target.Name"),
    ("location", "double", "2", "deg", "pos.eq", "ssa:Char.SpatialAxis.Coverage.Location.Value"),
    ("specstart", "double", None, "m", None, _SSA + "Start"),
    ("specend", "double", None, "m", None, _SSA + "Stop"),
    ("dateobs", "double", None, "d", None, "ssa:Char.TimeAxis.Coverage.Location.Value"),
    ("accref", "char", "*", None, "meta.ref.url", "ssa:Access.Reference"),
    ("mime", "char", "*", None, None, "ssa:Access.Format"),
    ("accsize", "long", None, "byte", None, "ssa:Access.Size"),
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k.upper(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.server.app.hits[parts.path] += 1
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.server.app.route(self, unquote(parts.path), query, parse_qs(parts.query))

    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/plain",
        headers: dict | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out and hang up are part of the tests


class _Server:
    """Start/stop plumbing shared by the servers."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.faults: dict[str, str] = {}
        self.flaky_failures = 1
        self.stall_seconds = 10.0
        self._served: Counter[str] = Counter()
        self._release = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://{REMOTE_HOST}:{self._httpd.server_address[1]}"

    def start(self):
        self._httpd = _Quiet((REMOTE_HOST, 0), _Handler)
        self._httpd.app = self
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake stalled handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def send_file(self, handler: _Handler, path: Path) -> None:
        """Serve a file, applying the fault mode chosen for its name."""
        mode = self.faults.get(path.name, "")
        data = path.read_bytes()
        self._served[path.name] += 1
        if mode == "stall":
            self._release.wait(self.stall_seconds)
            return handler.send(503, b"stalled")
        if mode == "html":
            page = b"<!DOCTYPE html>\n<html><head><title>Service maintenance</title></head>"
            page += b"<body>Try later</body></html>"
            return handler.send(200, page, "application/fits")
        if mode == "truncated":
            data = data[: len(data) // 2]
        if mode == "flaky" and self._served[path.name] <= self.flaky_failures:
            return handler.send(500, b"Internal Server Error")
        content_type = (
            "application/fits"
            if path.suffix.lower() in (".fits", ".fit")
            else "application/octet-stream"
        )
        handler.send(200, data, content_type)


class StaticServer(_Server):
    """Files under ``root`` with Apache-style directory listings (sort links, parent link)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()

    def route(self, handler: _Handler, path: str, query: dict, _raw: dict) -> None:
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root) or not target.exists():
            return handler.send(404, b"<html><body>Not Found</body></html>", "text/html")
        if target.is_file():
            return self.send_file(handler, target)
        if not path.endswith("/"):
            return handler.send(301, headers={"Location": path + "/"})
        handler.send(200, self.listing(path, target).encode(), "text/html;charset=utf-8")

    def listing(self, path: str, directory: Path) -> str:
        sorts = [("N", "Name"), ("M", "Last modified"), ("S", "Size")]
        head = "".join(f'<th><a href="?C={c};O=D">{label}</a></th>' for c, label in sorts)
        parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
        rows = [
            f"<tr>{head}</tr>",
            f'<tr><td><a href="{quote(parent)}">Parent Directory</a></td></tr>',
        ]
        for entry in sorted(directory.iterdir()):
            name = entry.name + ("/" if entry.is_dir() else "")
            link = f'<a href="{quote(name)}">{html.escape(name)}</a>'
            rows.append(f"<tr><td>{link}</td><td>2024-01-01 00:00</td></tr>")
        title = f"Index of {html.escape(path)}"
        body = f"<h1>{title}</h1><table>{''.join(rows)}</table>"
        return f"<!DOCTYPE HTML><html><head><title>{title}</title></head><body>{body}</body></html>"


class VOServer(_Server):
    """SSAP 1.1 at ``/ssap``, DataLink 1.1 at ``/datalink``, SODA at ``/soda``, files at ``/data/``.

    ``datalink_access=True`` makes SSAP's Access.Reference point at each row's DataLink
    document (format ``application/x-votable+xml;content=datalink``).
    """

    def __init__(self, datasets: list[Dataset], *, datalink_access: bool = False) -> None:
        super().__init__()
        self.datasets = {d.id: d for d in datasets}
        self.by_name = {d.name: d for d in datasets}
        self.datalink_access = datalink_access

    @property
    def ssap_url(self) -> str:
        return f"{self.url}/ssap"

    def data_url(self, name: str) -> str:
        return f"{self.url}/data/{quote(name)}"

    def datalink_url(self, dataset_id: str) -> str:
        return f"{self.url}/datalink?ID={quote(dataset_id, safe='')}"

    def route(self, handler: _Handler, path: str, query: dict, raw: dict) -> None:
        if path == "/ssap":
            status, body = self.ssap(query)
            return handler.send(status, body.encode(), "application/x-votable+xml")
        if path == "/datalink":
            return handler.send(200, self.datalink(raw.get("ID", [])).encode(), DATALINK_MIME)
        if path == "/soda":
            return self.soda(handler, query)
        if path.startswith("/data/") and path[6:] in self.by_name:
            return self.send_file(handler, self.by_name[path[6:]].path)
        handler.send(404, b"not found")

    # -- SSAP -------------------------------------------------------------------------
    def ssap(self, query: dict) -> tuple[int, str]:
        try:
            if query.get("REQUEST", "queryData").lower() != "querydata":
                raise ValueError(f"REQUEST={query['REQUEST']} is not supported")
            rows = [d for d in self.datasets.values() if _matches(d, query)]
            maxrec = int(query.get("MAXREC", "10000"))
            if maxrec < 0:
                raise ValueError("MAXREC must not be negative")
        except (ValueError, KeyError) as exc:
            return 200, _error_votable(str(exc))
        status = "OVERFLOW" if len(rows) > maxrec else "OK"
        return 200, self._ssap_votable(rows[:maxrec], status)

    def _ssap_votable(self, rows: list[Dataset], status: str) -> str:
        body = []
        for d in rows:
            url, mime = (
                (self.datalink_url(d.id), DATALINK_MIME)
                if self.datalink_access
                else (self.data_url(d.name), "application/fits")
            )
            location = f"{d.ra!r} {d.dec!r}"
            cells = [d.id, f"{d.target} spectrum", d.target, location, d.wave_lo_m, d.wave_hi_m]
            cells += [d.mjd, url, mime, d.path.stat().st_size]
            body.append(_row(cells))
        descriptor = _service(
            "datalink",
            DATALINK_ID,
            f"{self.url}/datalink",
            _param("ID", value="", ref="pubDID"),
            attr="name",
        )
        info = _tag("INFO", {"name": "QUERY_STATUS", "value": status})
        table = _tag("TABLE", {}, "".join(_field(*f) for f in SSAP_FIELDS) + _data(body))
        return _votable(_tag("RESOURCE", {"type": "results"}, info + table) + descriptor)

    # -- DataLink ---------------------------------------------------------------------
    def datalink(self, ids: list[str]) -> str:
        rows, services = [], []
        for n, dataset_id in enumerate(ids):
            d = self.datasets.get(dataset_id)
            if d is None:
                rows.append([dataset_id, "", "", f"NotFoundFault: {dataset_id}", "", "", ""])
                continue
            if self.faults.get(d.name) == "dlerror":
                rows.append([dataset_id, "", "", "UsageFault: this dataset is withdrawn"])
                rows[-1] += ["", "", ""]
                continue
            this = [self.data_url(d.name), "", "", "the spectrum", "#this", "application/fits"]
            rows.append([dataset_id, *this])
            if d.soda:
                cut = ["", f"soda-{n}", "", "spectral cut-out", "#cutout", "application/fits"]
                rows.append([dataset_id, *cut])
                services.append(self._soda_descriptor(f"soda-{n}", d))
        fields = "".join(_field(name) for name in DATALINK_COLUMNS.split())
        table = _tag("TABLE", {}, fields + _data([_row(r) for r in rows]))
        return _votable(_tag("RESOURCE", {"type": "results"}, table) + "".join(services))

    def _soda_descriptor(self, service_id: str, d: Dataset) -> str:
        values = f'<VALUES><MIN value="{d.wave_lo_m!r}"/><MAX value="{d.wave_hi_m!r}"/></VALUES>'
        band = _param("BAND", "double", "2", value="", xtype="interval", unit="m", ucd="em.wl")
        band = band.replace("/>", f">{values}</PARAM>")
        pos = _param("POS", value="", xtype="shape", ucd="obs.field")
        inputs = _param("ID", value=d.id) + band + pos
        return _service(service_id, SODA_ID, f"{self.url}/soda", inputs)

    # -- SODA -------------------------------------------------------------------------
    def soda(self, handler: _Handler, query: dict) -> None:
        d = self.datasets.get(query.get("ID", ""))
        if d is None:
            return handler.send(404, f"NotFoundFault: {query.get('ID', '')}".encode())
        try:
            band = _floats(query["BAND"], 2, "BAND") if query.get("BAND") else None
            circle = _circle(query["POS"]) if query.get("POS") else None
            if band is not None and not band[0] < band[1]:
                raise ValueError("BAND: lower bound must be below the upper bound")
        except ValueError as exc:
            return handler.send(400, f"UsageFault: {exc}".encode())
        if circle is not None and _separation(d.ra, d.dec, circle[0], circle[1]) > circle[2]:
            return handler.send(204)
        data = _cutout(d.path, band)
        if data is None:
            return handler.send(204)
        handler.send(
            200,
            data,
            "application/fits",
            {"Content-Disposition": f'attachment; filename="{d.path.stem}-cut.fits"'},
        )


def _floats(text: str, n: int, name: str) -> list[float]:
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        raise ValueError(f"{name}: not numbers: {text!r}") from None
    if len(values) != n:
        raise ValueError(f"{name}: expected {n} numbers, got {text!r}")
    return values


def _circle(text: str) -> list[float]:
    parts = text.split(None, 1)
    if len(parts) != 2 or parts[0].upper() != "CIRCLE":
        raise ValueError(f"POS: only CIRCLE is supported, got {text!r}")
    return _floats(parts[1], 3, "POS")


def _cutout(path: Path, band_m: list[float] | None) -> bytes | None:
    with fits.open(path) as hdul:
        header, flux = hdul[0].header.copy(), np.asarray(hdul[0].data)
    step = header.get("CDELT1", header.get("CD1_1"))
    wave_aa = header["CRVAL1"] + (np.arange(flux.size) + 1 - header.get("CRPIX1", 1.0)) * step
    keep = (
        np.ones(flux.size, bool)
        if band_m is None
        else (wave_aa >= band_m[0] * AA_PER_M) & (wave_aa <= band_m[1] * AA_PER_M)
    )
    if not keep.any():
        return None
    header["CRVAL1"], header["CRPIX1"] = float(wave_aa[keep][0]), 1.0
    out = io.BytesIO()
    fits.PrimaryHDU(flux[keep], header).writeto(out)
    return out.getvalue()


def _separation(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    r1, d1, r2, d2 = np.radians([ra1, dec1, ra2, dec2])
    cos = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(r1 - r2)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def _interval(text: str, name: str) -> tuple[float, float]:
    lo, sep, hi = text.partition("/")
    try:
        if not sep:
            value = float(lo)
            return value, value
        return (float(lo) if lo else -np.inf), (float(hi) if hi else np.inf)
    except ValueError:
        raise ValueError(f"{name} must be 'lo/hi', got {text!r}") from None


def _matches(d: Dataset, query: dict) -> bool:
    if query.get("POS"):
        try:
            ra, dec = (float(v) for v in query["POS"].split(",")[:2])
        except ValueError:
            raise ValueError(f"POS must be 'ra,dec' in degrees, got {query['POS']!r}") from None
        size = float(query.get("SIZE") or 1.0)
        if _separation(d.ra, d.dec, ra, dec) > size / 2:
            return False
    if query.get("BAND"):
        lo, hi = _interval(query["BAND"], "BAND")
        if lo > hi:
            raise ValueError(f"BAND lower bound above upper bound: {query['BAND']!r}")
        if d.wave_hi_m < lo or d.wave_lo_m > hi:
            return False
    if query.get("TIME"):
        from astropy.time import Time

        lo_text, _, hi_text = query["TIME"].partition("/")
        try:
            lo = Time(lo_text).mjd if lo_text else -np.inf
            hi = Time(hi_text).mjd if hi_text else np.inf
        except ValueError:
            raise ValueError(f"TIME must be ISO 8601 'start/end', got {query['TIME']!r}") from None
        if not lo <= d.mjd <= hi + 1:
            return False
    fmt = query.get("FORMAT", "").lower()
    return fmt in ("", "all", "compliant", "native", "fits", "application/fits")


def _error_votable(message: str) -> str:
    info = _tag("INFO", {"name": "QUERY_STATUS", "value": "ERROR"}, html.escape(message))
    return _votable(_tag("RESOURCE", {"type": "results"}, info))


def _tag(name: str, attrs: dict, body: str = "") -> str:
    text = "".join(f' {k}="{html.escape(str(v))}"' for k, v in attrs.items() if v is not None)
    return f"<{name}{text}>{body}</{name}>" if body else f"<{name}{text}/>"


def _field(name, datatype="char", arraysize="*", unit=None, ucd=None, utype=None, id_=None):
    attrs = {"name": name, "ID": id_, "datatype": datatype, "arraysize": arraysize}
    return _tag("FIELD", {**attrs, "unit": unit, "ucd": ucd, "utype": utype})


def _param(name, datatype="char", arraysize="*", **attrs) -> str:
    return _tag("PARAM", {"name": name, "datatype": datatype, "arraysize": arraysize, **attrs})


def _service(ident: str, standard: str, access: str, inputs: str, attr: str = "ID") -> str:
    params = _param("standardID", value=standard) + _param("accessURL", value=access)
    group = _tag("GROUP", {"name": "inputParams"}, inputs)
    attrs = {"type": "meta", "utype": "adhoc:service", attr: ident}
    return _tag("RESOURCE", attrs, params + group)


def _row(cells: list) -> str:
    return "<TR>" + "".join(f"<TD>{html.escape(_cell(c))}</TD>" for c in cells) + "</TR>"


def _cell(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _data(rows: list[str]) -> str:
    return f"<DATA><TABLEDATA>{''.join(rows)}</TABLEDATA></DATA>"


def _votable(body: str) -> str:
    return VOTABLE_HEAD + body + "</VOTABLE>"
