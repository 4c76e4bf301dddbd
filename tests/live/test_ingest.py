"""Ingestion on the real platform: uploads and SSAP services through the UWS API and portal."""

from __future__ import annotations

import io
import re
import tarfile
import time
from pathlib import Path

import pytest
from astropy.io.votable import parse_single_table

from tests.support.platform import wait_for_phase
from tests.support.vo_servers import VOServer, make_synthetic

pytestmark = pytest.mark.platform
ROOT = Path(__file__).resolve().parents[2]
SHARED_LAMOST = ROOT.parent / "shared" / "data" / "spectra" / "lamost-dr2"
ONDREJOV = ROOT / "tests" / "data" / "spectra" / "ondrejov" / "oe270005.fits"


@pytest.fixture(scope="module")
def ssap_server(tmp_path_factory):
    with VOServer(make_synthetic(tmp_path_factory.mktemp("ssap"), n=200, seed=7)) as server:
        yield server


def run_job(session, platform, files=None, **params) -> str:
    response = session.post(
        platform.jobs_url("ingest"),
        data={**params, "PHASE": "RUN"},
        files=files,
        allow_redirects=False,
    )
    assert response.status_code == 303, response.text
    job = response.headers["Location"]
    phase = wait_for_phase(session, job, {"COMPLETED", "ERROR"}, timeout=120)
    assert phase == "COMPLETED", session.get(f"{job}/error").text
    return job


def statuses(session, job) -> list[str]:
    table = parse_single_table(io.BytesIO(session.get(f"{job}/results/result").content))
    return [str(s) for s in table.array["status"]]


def test_archive_of_17_real_spectra_is_ingested_and_rerun_skips(platform, tmp_path):
    lamost = sorted(SHARED_LAMOST.glob("*.fits")) if SHARED_LAMOST.is_dir() else []
    if len(lamost) < 16:
        pytest.skip(f"the shared LAMOST spectra are missing ({SHARED_LAMOST})")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in [ONDREJOV, *lamost[:16]]:
            tar.add(path, arcname=f"spectra/{path.parent.name}/{path.name}")
    alice = platform.session("alice")
    upload = {"upload": ("spectra.tar.gz", buffer.getvalue())}
    job = run_job(alice, platform, files=upload, TARGET="real")
    assert statuses(alice, job) == ["ok"] * 17
    again = run_job(alice, platform, files=upload, TARGET="real-again")
    assert statuses(alice, again) == ["skipped"] * 17


def test_ssap_service_of_200_spectra_is_ingested_in_parallel(platform, ssap_server):
    alice = platform.session("alice")
    start = time.monotonic()
    job = run_job(alice, platform, SSAP_URL=ssap_server.ssap_url, PARALLEL=8, TARGET="ssap")
    elapsed = time.monotonic() - start
    assert statuses(alice, job) == ["ok"] * 200
    print(f"UWS ingest of 200 SSAP spectra: {elapsed:.1f} s ({200 / elapsed:.0f} spectra/s)")
    again = run_job(alice, platform, SSAP_URL=ssap_server.ssap_url, PARALLEL=8, TARGET="ssap")
    assert statuses(alice, again) == ["skipped"] * 200


def post_form(session, url: str, **data):
    page = session.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(url, data={"csrfmiddlewaretoken": token, **data}, headers={"Referer": url})


def test_portal_ssap_page_previews_explains_errors_and_starts_an_ingest(platform, ssap_server):
    browser = platform.portal_session("bob")
    page = f"{platform.url}/ssap/"
    assert "Search an SSAP service" in browser.get(page).text
    preview = post_form(browser, page, ssap_url=ssap_server.ssap_url, maxrec=80, preview="1")
    assert preview.status_code == 200
    assert "80 spectra found" in preview.text and "OVERFLOW" in preview.text
    assert preview.text.count("<tr>") == 51  # header + the first 50 rows
    bad = post_form(
        browser, page, ssap_url=ssap_server.ssap_url, maxrec=5, time="2020-13-45/", preview="1"
    )
    assert bad.status_code == 200 and "TIME must be ISO 8601" in bad.text
    down = post_form(browser, page, ssap_url="http://127.0.0.1:9/ssap", maxrec=5, preview="1")
    assert down.status_code == 200 and "failed" in down.text
    started = post_form(
        browser, page, ssap_url=ssap_server.ssap_url, pos="155,15", size=2, maxrec=50, ingest="1"
    )
    assert started.status_code == 200 and "/jobs/ingest/" in started.url
    job_id = started.url.rstrip("/").rsplit("/", 1)[1]
    bob = platform.session("bob")
    assert wait_for_phase(bob, platform.jobs_url("ingest") + f"/{job_id}", {"COMPLETED"}, 60)
