"""VOTable access columns, SSAP, DataLink and SODA against real services on 127.0.0.1."""

from __future__ import annotations

import numpy as np
import pytest
import requests
from astropy.io.votable import from_table
from astropy.table import Table

from services.fetch import FetchOptions, make_session
from services.spectra import read_spectrum
from services.vo import (
    Cutout,
    QueryError,
    ServiceError,
    VOError,
    fetch_datalink,
    resolve,
    ssap_query,
    votable_access_rows,
)
from tests.support.remote import TEST_POLICY


@pytest.fixture
def session():
    with make_session(
        FetchOptions(policy=TEST_POLICY, connect_timeout=2, read_timeout=5)
    ) as session:
        yield session


def votable_file(tmp_path, column: str, **attrs) -> object:
    table = Table({column: ["http://x/a.fits", "http://x/b.fits"], "other": ["p", "q"]})
    votable = from_table(table)
    field = votable.get_first_table().fields[0]
    for key, value in attrs.items():
        setattr(field, key, value)
    path = tmp_path / "list.vot"
    votable.to_xml(str(path))
    return path


@pytest.mark.parametrize(
    ("column", "attrs"),
    [
        ("c1", {"utype": "ssa:Access.Reference"}),
        ("c1", {"utype": "ACCESS.REFERENCE"}),
        ("c1", {"utype": "obscore:access.reference"}),
        ("c1", {"ucd": "meta.ref.url;meta.main"}),
        ("Access_URL", {}),
        ("ACCREF", {}),
        ("url", {}),
    ],
)
def test_access_column_found_by_utype_ucd_or_name(tmp_path, column, attrs):
    rows = votable_access_rows(votable_file(tmp_path, column, **attrs))
    assert [r.url for r in rows] == ["http://x/a.fits", "http://x/b.fits"]


def test_votable_without_access_column_is_a_clear_error(tmp_path):
    with pytest.raises(VOError, match=r"no access-reference column.*columns: c1, other"):
        votable_access_rows(votable_file(tmp_path, "c1"))


def test_votable_url_is_fetched(vo_server, session):
    rows = votable_access_rows(f"{vo_server.ssap_url}?POS=155,15&SIZE=2", session)
    assert rows and all(r.url.startswith(vo_server.url + "/data/") for r in rows)


def test_ssap_pos_size_selects_by_distance(vo_server, session, synthetic):
    result = ssap_query(vo_server.ssap_url, session, pos=(155.0, 15.0), size=4.0)
    ra, dec = np.radians(155.0), np.radians(15.0)
    expected = set()
    for d in synthetic:
        r, de = np.radians(d.ra), np.radians(d.dec)
        cos = np.sin(de) * np.sin(dec) + np.cos(de) * np.cos(dec) * np.cos(r - ra)
        if np.degrees(np.arccos(min(1.0, cos))) <= 2.0:
            expected.add(d.name)
    assert {r.url.rsplit("/", 1)[1] for r in result.rows} == expected
    assert 0 < len(expected) < 200 and not result.truncated


def test_ssap_band_in_metres(vo_server, session, synthetic):
    result = ssap_query(vo_server.ssap_url, session, band="7e-7/8e-7")
    expected = {d.name for d in synthetic if d.wave_hi_m >= 7e-7}
    got = {r.url.rsplit("/", 1)[1] for r in result.rows}
    assert expected <= got and all(not n.startswith("syn") or n in expected for n in got)


def test_ssap_maxrec_overflow_is_flagged(vo_server, session):
    result = ssap_query(vo_server.ssap_url, session, maxrec=7)
    assert len(result.rows) == 7 and result.truncated and len(result.table) == 7


def test_ssap_error_votable_carries_the_service_message(vo_server, session):
    with pytest.raises(QueryError, match="MAXREC must not be negative"):
        ssap_query(vo_server.ssap_url, session, maxrec=-1)


def test_ssap_unreachable_service_is_a_service_error(session):
    with pytest.raises(ServiceError, match="failed"):
        ssap_query("http://127.0.0.2:9/ssap", session)


def test_ssap_bad_band_is_refused_before_sending(vo_server, session):
    with pytest.raises(ValueError, match="BAND must be 'lo/hi'"):
        ssap_query(vo_server.ssap_url, session, band="red")


def test_datalink_this_link(vo_server, session, synthetic):
    links = resolve(fetch_datalink(vo_server.datalink_url(synthetic[3].id), session))
    assert links == [type(links[0])(synthetic[3].id, url=vo_server.data_url(synthetic[3].name))]


def test_datalink_service_descriptor_gives_a_soda_request(vo_server, session, synthetic):
    document = fetch_datalink(vo_server.datalink_url(synthetic[3].id), session)
    (link,) = resolve(document, Cutout(band_m=(5e-7, 5.2e-7), circle_deg=(150, 10, 20)))
    assert link.url.startswith(vo_server.url + "/soda?")
    assert "BAND=5e-07+5.2e-07" in link.url and "POS=CIRCLE+150.0+10.0+20.0" in link.url


def test_datalink_without_soda_falls_back_to_the_dataset(vo_server, session, real):
    lamost = next(d for d in real if not d.soda)
    (link,) = resolve(
        fetch_datalink(vo_server.datalink_url(lamost.id), session), Cutout((5e-7, 6e-7))
    )
    assert link.url == vo_server.data_url(lamost.name) and "no SODA service" in link.note


def test_datalink_error_message_rows_are_failures(vo_server, session, synthetic):
    vo_server.faults[synthetic[1].name] = "dlerror"
    url = f"{vo_server.url}/datalink?ID={synthetic[1].id}&ID=ivo://nowhere/x"
    links = resolve(fetch_datalink(url, session))
    assert [link.error for link in links] == [
        "UsageFault: this dataset is withdrawn",
        "NotFoundFault: ivo://nowhere/x",
    ]
    assert not any(link.url for link in links)


def test_soda_band_cutout_matches_the_original_restricted_to_the_band(
    vo_server, session, synthetic, real
):
    for dataset in (synthetic[5], next(d for d in real if d.soda)):
        lo, hi = dataset.wave_lo_m + 2e-9, dataset.wave_lo_m + 2e-8
        (link,) = resolve(
            fetch_datalink(vo_server.datalink_url(dataset.id), session), Cutout((lo, hi))
        )
        response = session.get(link.url)
        assert response.status_code == 200
        cut_path = dataset.path.parent / "cut.tmp.fits"
        original = read_spectrum(dataset.path)
        keep = (original.wave >= lo * 1e10) & (original.wave <= hi * 1e10)
        cut_path = _write(response.content, session, dataset)
        cut = read_spectrum(cut_path)
        assert cut.flux.size == keep.sum() > 5
        np.testing.assert_allclose(cut.flux, original.flux[keep])
        np.testing.assert_allclose(cut.wave, original.wave[keep], rtol=1e-9)


def _write(data: bytes, session, dataset) -> object:
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "cut.fits"
    path.write_bytes(data)
    return path


def test_soda_no_overlap_is_204(vo_server, synthetic):
    d = synthetic[0]
    response = requests.get(
        f"{vo_server.url}/soda", params={"ID": d.id, "BAND": "1e-3 2e-3"}, timeout=5
    )
    assert response.status_code == 204 and not response.content
    far = requests.get(
        f"{vo_server.url}/soda", params={"ID": d.id, "POS": "CIRCLE 0 -80 1"}, timeout=5
    )
    assert far.status_code == 204


def test_soda_bad_band_is_400(vo_server, synthetic):
    response = requests.get(
        f"{vo_server.url}/soda", params={"ID": synthetic[0].id, "BAND": "6e-7 5e-7"}, timeout=5
    )
    assert response.status_code == 400 and b"UsageFault" in response.content
