"""The VO clients on answers the way GAVO DaCHS 2.7 gives them: SIZE as a radius, DataLink
error rows with ``#this`` semantics, SODA behind ``/sdl/dlget``."""

from __future__ import annotations

import math

import pytest
from astropy.io.votable import parse_single_table

from services.fetch import FetchOptions, make_session
from services.vo import Cutout, VOError, fetch_datalink, parse_datalink, resolve, separation_deg
from services.vo.access import access_rows
from services.vo.ssap import ssap_query
from tests.support.dachs_like import NOT_FOUND, VOTABLE_MIME, DachsLikeServer
from tests.support.remote import TEST_POLICY
from tests.support.vo_servers import _data, _field, _param, _row, _tag, _votable


@pytest.fixture
def session():
    options = FetchOptions(policy=TEST_POLICY, connect_timeout=2, read_timeout=5)
    with make_session(options) as session:
        yield session


@pytest.fixture
def dachs(synthetic):
    with DachsLikeServer(synthetic[:40]) as server:
        yield server


def test_ssap_rows_beyond_half_the_size_are_left_out_and_counted(dachs, session, synthetic):
    centre = synthetic[0]
    result = ssap_query(dachs.ssap_url, session, pos=(centre.ra, centre.dec), size=6.0)
    distance = {
        d.id: float(separation_deg(centre.ra, centre.dec, d.ra, d.dec)) for d in synthetic[:40]
    }
    ring = [i for i, r in distance.items() if 3.0 < r <= 6.0]
    assert ring and result.cone is not None and result.cone.n_outside == len(ring)
    assert result.cone.size_read_as_radius
    assert {row.pubdid for row in result.rows} == {i for i, r in distance.items() if r <= 3.0}
    assert len(result.table) == len(result.rows) == len(result.datalinks)
    assert all(link.startswith(f"{dachs.url}/dlmeta?ID=") for link in result.datalinks)
    row = next(r for r in result.rows if r.pubdid == centre.id)
    assert (row.ra, row.dec) == pytest.approx((centre.ra, centre.dec))


def test_ssap_without_a_size_is_not_checked(dachs, session, synthetic):
    result = ssap_query(dachs.ssap_url, session, pos=(synthetic[0].ra, synthetic[0].dec))
    assert result.cone is None and result.notes() == [] and result.rows


def test_a_datalink_error_row_with_this_semantics_fails_its_dataset_only(dachs, session, synthetic):
    unknown = "ivo://org.gavo.dc/~?nowhere/42"
    url = f"{dachs.url}/dlmeta?ID={synthetic[0].id}&ID={unknown}"
    links = {link.id: link for link in resolve(fetch_datalink(url, session))}
    assert links[unknown].error == NOT_FOUND and links[unknown].url == ""
    assert links[synthetic[0].id].url == dachs.product_url(synthetic[0])


def test_a_cut_out_is_marked_from_the_soda_descriptor_not_the_url(dachs, session, synthetic):
    document = fetch_datalink(f"{dachs.url}/dlmeta?ID={synthetic[2].id}", session)
    (link,) = resolve(document, Cutout(band_m=(5.5e-7, 6e-7)))
    assert link.cutout and link.url.startswith(f"{dachs.url}/sdl/dlget?")
    assert "soda" not in link.url.lower()
    assert link.note.startswith("SODA cut-out (BAND 5.5e-07 to 6e-07 m; service descriptor ndd")
    assert link.note.endswith(", #proc)")


def datalink_document(descriptor_standard: str, status: str = "OK") -> bytes:
    names = ["ID", "access_url", "service_def", "error_message", "semantics"]
    rows = [
        _row(["ivo://x/1", "http://127.0.0.2:9/1.vot", "", "", "#this"]),
        _row(["ivo://x/1", "", "cut", "", "#proc"]),
    ]
    info = _tag("INFO", {"name": "QUERY_STATUS", "value": status}, "UsageFault: bad ID")
    table = _tag("TABLE", {}, "".join(_field(n) for n in names) + _data(rows))
    params = _param("standardID", value=descriptor_standard)
    params += _param("accessURL", value="http://127.0.0.2:9/cut")
    inputs = _param("ID", value="x") + _param("BAND", "double", "2", value="")
    group = _tag("GROUP", {"name": "inputParams"}, inputs)
    attrs = {"type": "meta", "utype": "adhoc:service", "ID": "cut"}
    service = _tag("RESOURCE", attrs, params + group)
    return _votable(_tag("RESOURCE", {"type": "results"}, info + table) + service).encode()


@pytest.mark.parametrize(
    ("standard", "cut"),
    [
        ("ivo://ivoa.net/std/SODA#sync-1.0", True),
        ("ivo://ivoa.net/std/SODA#async-1.0", False),  # a UWS job, not a file
        ("ivo://ivoa.net/std/DataLink#links-1.1", False),
    ],
)
def test_only_a_soda_sync_descriptor_makes_a_cut_out(standard, cut):
    (link,) = resolve(parse_datalink(datalink_document(standard), "doc"), Cutout(band_m=(1, 2)))
    assert link.cutout is cut
    if not cut:
        assert link.url == "http://127.0.0.2:9/1.vot" and "no SODA service" in link.note


def test_a_datalink_document_with_query_status_error_is_a_vo_error():
    document = datalink_document("ivo://ivoa.net/std/SODA#sync-1.0", status="ERROR")
    with pytest.raises(
        VOError, match=r"^the DataLink service reported an error: UsageFault: bad ID$"
    ):
        parse_datalink(document, "doc")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("10.5 -3.2", (10.5, -3.2)),
        ("Position ICRS 370.5 -3.2", (10.5, -3.2)),
        ("", None),
        ("NaN NaN", None),
        ("1e308 1e308", None),
        ("10 95", None),
        ("only 10", None),
    ],
)
def test_positions_are_read_or_left_unknown(tmp_path, cell, expected):
    fields = (
        _field("accref")
        + _field("where", ucd="pos.eq")
        + _field("did", utype="ssa:Curation.PublisherDID")
    )
    row = _row(["http://127.0.0.2:9/a.vot", cell, "ivo://x/" + "d" * 600])
    path = tmp_path / "t.vot"
    path.write_text(_votable(_tag("RESOURCE", {}, _tag("TABLE", {}, fields + _data([row])))))
    (found,) = access_rows(parse_single_table(str(path)))
    got = None if math.isnan(found.ra) else (found.ra, found.dec)
    assert got == (pytest.approx(expected) if expected else None)
    assert found.pubdid == ""  # 600 characters are no identifier


def test_the_served_spectra_are_sdm_votables(dachs, synthetic, session):
    response = session.get(dachs.product_url(synthetic[0]))
    assert (
        response.headers["Content-Type"] == VOTABLE_MIME
        and b"spec:Data.FluxAxis" in response.content
    )
