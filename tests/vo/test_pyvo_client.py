"""alice's spectra through pyvo, against vocloud's own endpoints on a live (in-process) server:
SSAP search, DataLink, SODA cut-outs, VOSI and the candidates of a score job; and what the
endpoints serve is clean for STILTS votlint and datalinklint."""

from __future__ import annotations

import io
import subprocess

import astropy.units as u
import pytest
from astropy.io.votable import parse_single_table
from pyvo.dal import DALQueryError, SSAService
from pyvo.dal.exceptions import DALOverflowWarning
from pyvo.io import vosi

from services.vo_serve.catalogue import spectrum_id
from tests.vo.conftest import DATASET, HD208905, ONDREJOV, REAL
from vocloud.vo.capability import capability_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(live_server, alice_spectra, alice_token, http) -> SSAService:
    http.headers["Authorization"] = f"Token {alice_token}"
    return SSAService(f"{live_server.url}/vo/ssa", session=http)


def test_a_cone_search_finds_the_spectrum_with_its_label_and_prediction(service, alice_spectra):
    results = service.search(pos=HD208905, diameter=0.05)
    assert len(results) == 1
    record = results[0]
    assert record["path"] == ONDREJOV and record.format == "application/fits"
    assert "HD 208905" in record.title
    assert (record["label"], record["label_session"]) == ("emission", "be-stars")
    assert record["prediction"] == "emission" and record["uncertainty"] == pytest.approx(0.9)
    assert record["prediction_job"] == alice_spectra["job"].job_id
    original = service._session.get(record.getdataurl(), timeout=10).content
    assert original == REAL[3].read_bytes()


def test_band_time_format_collection_and_maxrec(service):
    assert len(service.search()) == 5  # four in the dataset, one loose ingested file
    assert len(service.search(band=[4e-7, 5e-7] * u.m)) == 3  # LAMOST; H-alpha misses it
    assert len(service.search(time=["2012-01-01T00:00:00", "2012-12-31T00:00:00"])) == 2
    assert len(service.search(format="votable")) == 0
    assert len(service.search(collection=DATASET)) == 4
    with pytest.warns(DALOverflowWarning):
        assert len(service.search(maxrec=2)) == 2
    metadata = service.search(format="metadata")
    assert len(metadata) == 0 and "ssa_pubDID" in metadata.fieldnames
    with pytest.raises(DALQueryError, match="POS must be 'ra,dec'"):
        service.search(POS="somewhere")


def test_datalink_gives_the_file_a_preview_and_a_soda_cut_out(
    live_server, alice, alice_spectra, http
):
    # TOPCAT's way: the capability URL, no header at all
    url = f"{live_server.url}/vo/c/{capability_for(alice)}/ssa"
    record = SSAService(url, session=http).search(pos=HD208905, diameter=0.05)[0]
    links = record.getdatalink()
    this = next(links.bysemantics("#this", include_narrower=False))
    assert this.content_length == REAL[3].stat().st_size
    assert http.get(this.access_url, timeout=10).content == REAL[3].read_bytes()
    preview = next(links.bysemantics("#preview", include_narrower=False))
    assert http.get(preview.access_url, timeout=10).content.startswith(b"\x89PNG")
    cut = links.get_first_proc().processed(band=[6.5e-7, 6.6e-7] * u.m).read()
    wave_m = parse_single_table(io.BytesIO(cut)).array["WAVE"]
    assert wave_m.min() >= 6.5e-7 and wave_m.max() <= 6.6e-7 and wave_m.size > 100
    empty = links.get_first_proc().processed(band=[4e-7, 4.1e-7] * u.m).read()
    assert empty == b""  # 204 No Content: the band misses the spectrum


def test_iter_datalinks_serves_every_row_in_batches(service):
    results = service.search(collection=DATASET)
    links = list(results.iter_datalinks())
    assert len(links) == 4
    assert {next(dl.bysemantics("#this", include_narrower=False)).id for dl in links} == {
        spectrum_id(DATASET, p) for p in results["path"]
    }


def test_vosi_capabilities_and_availability_parse_with_pyvo(service):
    get = service._session.get
    capabilities = get(service.baseurl.replace("/ssa", "/capabilities"), timeout=10)
    standards = {c.standardid for c in vosi.parse_capabilities(io.BytesIO(capabilities.content))}
    assert {"ivo://ivoa.net/std/SSA", "ivo://ivoa.net/std/SODA#sync-1.0"} <= standards
    availability = get(service.baseurl.replace("/ssa", "/availability"), timeout=10)
    assert vosi.parse_availability(io.BytesIO(availability.content)).available


def test_the_candidates_of_a_score_job_in_the_jobs_order(live_server, alice, alice_spectra, http):
    job = alice_spectra["job"]
    url = f"{live_server.url}/vo/c/{capability_for(alice)}/candidates/{job.job_id}"
    results = SSAService(url, session=http).search()
    assert list(results["prediction"]) == ["star"] * 3
    assert list(results["probability"]) == pytest.approx([0.7, 0.8, 0.9])  # as the job wrote
    assert len(results[0].getdatalink()) == 3  # #this, #preview, #cutout


def _lint(tmp_path, name: str, body: bytes, tool: str) -> str:
    path = tmp_path / name
    path.write_bytes(body)
    done = subprocess.run(
        ["stilts", tool, f"votable={path}"], capture_output=True, text=True, timeout=120
    )
    return done.stdout + done.stderr


def test_stilts_finds_no_error_in_what_the_endpoints_serve(
    live_server, alice, alice_spectra, tmp_path, http
):
    base = f"{live_server.url}/vo/c/{capability_for(alice)}"
    identifier = spectrum_id(DATASET, ONDREJOV)
    served = {
        "ssa.vot": http.get(f"{base}/ssa", params={"REQUEST": "queryData"}, timeout=10),
        "error.vot": http.get(f"{base}/ssa", params={"POS": "x"}, timeout=10),
        "cut.vot": http.get(
            f"{base}/soda", params={"ID": identifier, "BAND": "6.5e-7 6.6e-7"}, timeout=10
        ),
    }
    for name, response in served.items():
        report = _lint(tmp_path, name, response.content, "votlint")
        assert report.strip() == "", (name, report)  # votlint says nothing of a clean file
    links = http.get(f"{base}/datalink", params={"ID": [identifier, "nope"]}, timeout=10)
    report = _lint(tmp_path, "links.vot", links.content, "datalinklint")
    assert "Totals: Errors: 0; Warnings: 0;" in report and "Failures: 0" in report, report
