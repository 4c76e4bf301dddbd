"""The ``ingest`` kind's run() against real local servers, with a temporary user storage."""

from __future__ import annotations

import io
import tarfile
import time

import pytest
from astropy.io.votable import parse_single_table
from pydantic import ValidationError

from services import ingest
from services.jobs import JobFailure
from services.jobs.params import describe_parameters
from services.storage.index import ContentIndex
from tests.services.ingest.conftest import REAL, make_tar


def run(ctx, **values):
    ingest.run(ingest.Parameters(**values), ctx)
    return report(ctx)


def report(ctx) -> dict[str, dict]:
    table = parse_single_table(str(ctx.results_dir / "report.vot")).to_table()
    return {str(row["source"]): {k: row[k] for k in table.colnames} for row in table}


def statuses(rows: dict) -> dict[str, str]:
    return {source: str(row["status"]) for source, row in rows.items()}


def test_parameters_document_every_field_and_need_a_source():
    docs = describe_parameters(ingest.Parameters)
    assert all(doc.description for doc in docs)
    assert {d.name for d in docs if d.kind == "upload"} == {"UPLOAD", "URL_LIST", "VOTABLE"}
    with pytest.raises(ValidationError, match="at least one source"):
        ingest.Parameters()
    with pytest.raises(ValidationError, match="only apply to an SSAP query"):
        ingest.Parameters(url="http://x/a.fits", pos="10,20")
    with pytest.raises(ValidationError, match=r"SODA_BAND|soda_band"):
        ingest.Parameters(url="http://x/a.fits", soda_band="7e-7 5e-7")


def test_archive_is_ingested_and_a_rerun_skips_everything(ctx, tmp_path):
    archive = make_tar(tmp_path / "spectra.tar.gz", {f"set/{p.name}": p for p in REAL})
    rows = run(ctx, upload=archive)
    assert set(statuses(rows).values()) == {"ok"} and len(rows) == len(REAL)
    stored = ctx.user_space.files / "ingest" / "j1" / "set"
    assert sorted(p.name for p in stored.iterdir()) == sorted(p.name for p in REAL)
    row = rows[f"spectra.tar.gz:set/{REAL[-1].name}"]
    assert (
        row["format"] == "ondrejov-ccd700" and row["object"] == "HD 208905" and row["n_pix"] > 1000
    )
    assert row["path"] == f"ingest/j1/set/{REAL[-1].name}"
    again = run(ctx, upload=archive, target="elsewhere")
    assert set(statuses(again).values()) == {"skipped"}
    assert not (ctx.user_space.files / "elsewhere").exists() or not any(
        (ctx.user_space.files / "elsewhere").rglob("*.fits")
    )
    assert len(ContentIndex(ctx.user_space.index_path).entries()) == len(REAL)


def test_archive_with_dotdot_is_refused_and_nothing_escapes(ctx, tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(REAL[0], arcname="good.fits")
        data = REAL[1].read_bytes()
        info = tarfile.TarInfo("../../escaped.fits")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(JobFailure, match="unsafe member"):
        run(ctx, upload=archive)
    assert not list(tmp_path.rglob("escaped.fits"))
    assert not list(ctx.user_space.files.rglob("*.fits"))
    assert "unsafe member" in report(ctx)["evil.tar.gz"]["reason"]


@pytest.mark.parametrize("target", ["../../etc", "/etc", "a/../../b"])
def test_target_cannot_leave_the_storage(target):
    with pytest.raises(ValidationError, match="target"):
        ingest.Parameters(url="http://127.0.0.2:9/x.fits", target=target)


def test_http_listing_to_depth_keeps_the_tree(ctx, static_server, tree):
    rows = run(ctx, url=static_server.url + "/", depth=1, target="web")
    assert statuses(rows)[static_server.url + "/README.txt"] == "failed"
    ok = sorted(str(r["path"]) for r in rows.values() if r["status"] == "ok")
    top, sub = next(tree.glob("*.fits")).name, next((tree / "sub").glob("*.fits")).name
    assert ok == sorted([f"web/{top}", f"web/sub/{sub}"])


def test_ftp_directory_is_ingested_recursively(ctx, ftp_server):
    rows = run(ctx, url=ftp_server.url + "/", depth=5)
    assert sum(s == "ok" for s in statuses(rows).values()) == 3
    assert any("sub/deeper/" in str(r["path"]) for r in rows.values())


def test_url_list_with_bad_lines(ctx, tmp_path, small_vo_server, real):
    listing = tmp_path / "urls.txt"
    good = [small_vo_server.data_url(d.name) for d in real]
    listing.write_text(
        "# spectra\n" + "\n".join(good) + "\nnot a url\nhttp://127.0.0.2:9/down.fits\n"
    )
    rows = run(ctx, url_list=listing, retries=0, timeout=2)
    assert [rows[u]["status"] for u in good] == ["ok"] * len(real)
    assert "unsupported URL" in rows["not a url"]["reason"]
    assert "refused the connection" in rows["http://127.0.0.2:9/down.fits"]["reason"]


def test_votable_upload_and_url(ctx, tmp_path, small_vo_server):
    query = f"{small_vo_server.ssap_url}?MAXREC=3"
    rows = run(ctx, votable_url=query)
    assert list(statuses(rows).values()) == ["ok"] * 3
    path = tmp_path / "list.xml"
    path.write_bytes(__import__("requests").get(query, timeout=5).content)
    assert set(statuses(run(ctx, votable=path)).values()) == {"skipped"}


def test_ssap_query_is_ingested_in_parallel_and_rerun_skips(ctx, vo_server, synthetic):
    start = time.monotonic()
    rows = run(ctx, ssap_url=vo_server.ssap_url, pos="155,15", size=4, band="3e-7/9e-7", parallel=4)
    elapsed = time.monotonic() - start
    assert rows and set(statuses(rows).values()) == {"ok"}
    assert all(r["format"] == "fits-wcs-1d" and r["n_pix"] == 400 for r in rows.values())
    print(f"SSAP ingest of {len(rows)} spectra: {elapsed:.2f} s, {len(rows) / elapsed:.0f}/s")
    assert set(statuses(run(ctx, ssap_url=vo_server.ssap_url, pos="155,15", size=4)).values()) == {
        "skipped"
    }


def test_ssap_overflow_is_reported(ctx, vo_server):
    run(ctx, ssap_url=vo_server.ssap_url, maxrec=5)
    table = parse_single_table(str(ctx.results_dir / "report.vot"))
    assert len(table.array) == 5
    votable = __import__("astropy.io.votable", fromlist=["parse"]).parse(
        str(ctx.results_dir / "report.vot")
    )
    notes = [i.value for i in votable.resources[0].infos if i.name == "note"]
    assert any("truncated" in n and "OVERFLOW" in n for n in notes)


def test_ssap_error_fails_the_job_with_the_service_message(ctx, vo_server):
    with pytest.raises(JobFailure, match="SSAP service reported an error: TIME must be ISO"):
        run(ctx, ssap_url=vo_server.ssap_url, time="2020-13-45/")


def test_access_references_that_are_datalinks_are_followed(ctx, synthetic, real):
    from tests.support.vo_servers import VOServer

    with VOServer(synthetic[:3] + real, datalink_access=True) as server:
        server.faults[synthetic[1].name] = "dlerror"
        rows = run(ctx, ssap_url=server.ssap_url)
        assert statuses(rows)[server.datalink_url(synthetic[1].id)] == "failed"
        assert "withdrawn" in rows[server.datalink_url(synthetic[1].id)]["reason"]
        assert sum(s == "ok" for s in statuses(rows).values()) == 2 + len(real)
        with pytest.raises(JobFailure, match="DATALINK is false"):
            run(ctx, ssap_url=server.ssap_url, datalink=False, target="x")


def test_soda_band_cutouts_through_datalink(ctx, small_vo_server, synthetic, real):
    rows = run(ctx, ssap_url=small_vo_server.ssap_url, soda_band="5.5e-7 6e-7")
    by_status = statuses(rows)
    assert "failed" in by_status.values()  # spectra that do not reach the band: HTTP 204
    no_overlap = [r for r in rows.values() if r["status"] == "failed"]
    assert all("204" in str(r["reason"]) for r in no_overlap)
    cut = [r for r in rows.values() if r["status"] == "ok" and "SODA" in str(r["reason"])]
    assert cut and min(r["n_pix"] for r in cut) < 400
    whole = [r for r in rows.values() if "no SODA service" in str(r["reason"])]
    assert len(whole) == sum(not d.soda for d in real)


def test_faults_fail_their_items_and_the_rest_is_ingested(ctx, small_vo_server, synthetic):
    names = [d.name for d in synthetic[:6]]
    for name, mode in zip(names, ["stall", "html", "truncated", "flaky"], strict=False):
        small_vo_server.faults[name] = mode
    ingest.job.BACKOFF_S = 0.01
    try:
        rows = run(
            ctx,
            ssap_url=small_vo_server.ssap_url,
            band="1e-7/1e-6",
            timeout=0.5,
            retries=1,
            parallel=6,
            max_file_mb=1,
        )
    finally:
        ingest.job.BACKOFF_S = 0.5
    by_name = {str(source).rsplit("/", 1)[1]: row for source, row in rows.items()}
    assert "timed out" in by_name[names[0]]["reason"]
    assert "HTML page" in by_name[names[1]]["reason"]
    assert "truncated" in by_name[names[2]]["reason"]
    assert by_name[names[3]]["status"] == "ok"
    assert [by_name[n]["status"] for n in names[4:]] == ["ok", "ok"]
    stored = {p.name for p in ctx.user_space.files.rglob("*.fits")}
    assert names[0] not in stored and names[2] not in stored and names[3] in stored


def test_size_cap_is_reported(ctx, small_vo_server, real):
    with pytest.raises(JobFailure, match=r"larger than 0\.01 MB"):
        run(ctx, url=small_vo_server.data_url(real[0].name), max_file_mb=0.01, retries=3)


def test_every_item_failing_ends_in_error_after_the_report(ctx, small_vo_server, synthetic):
    small_vo_server.faults[synthetic[0].name] = "html"
    with pytest.raises(JobFailure, match=r"nothing was ingested: all 1 items failed.*HTML page"):
        ingest.run(ingest.Parameters(url=small_vo_server.data_url(synthetic[0].name)), ctx)
    assert (ctx.results_dir / "report.vot").is_file()


def test_single_uploaded_spectrum_keeps_its_name(ctx, tmp_path):
    # the platform keeps the client's base name: uploads/UPLOAD/<name>
    upload = tmp_path / "UPLOAD" / "star.fits"
    upload.parent.mkdir()
    upload.write_bytes(REAL[-1].read_bytes())
    rows = run(ctx, upload=upload, target="one")
    assert [(str(r["path"]), str(r["status"])) for r in rows.values()] == [("one/star.fits", "ok")]
    assert not upload.exists()  # moved into the storage, not copied: no double disk use
