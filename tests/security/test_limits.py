"""Limits on every way in, enforced atomically; odd values answer 4xx, never 500.

Rows: attack -> expected refusal. In-process (Django test client, real SQLite, the real
storage code); the quota race uses real processes.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from services.ingest import Parameters as IngestParameters
from services.ingest import run as ingest_run
from services.jobs import JobContext, JobFailure
from services.storage import user_space
from services.storage.intake import Upload, store_uploads
from services.storage.quota import QuotaSpec
from tests.conftest import basic
from tests.security.conftest import REAL_FITS, Bytes
from tests.support.hostile import HostileHttp
from tests.support.remote import TEST_POLICY
from vocloud.files.models import Quota
from vocloud.uws import execution, phases, service
from vocloud.uws.errors import NotFound
from vocloud.uws.kinds import KINDS
from vocloud.uws.models import Job, Phase

pytestmark = pytest.mark.django_db
SELFTEST = "/uws/selftest/async"


def uws_post(client, url: str, data: dict, files: dict | None = None):
    return client.post(url, {**data, **(files or {})}, **basic("alice"))


UPLOAD_ROWS = [  # attack -> status, sentence, settings
    (
        "a job upload over the upload limit",
        {"VOCLOUD_MAX_UPLOAD_BYTES": 1000},
        2000,
        "bigger than the 1000 bytes allowed",
    ),
    ("a job upload over the free quota", {"quota": 1500}, 2000, "only 1.5 KB of your storage"),
]


@pytest.mark.parametrize(("attack", "limits", "size", "said"), UPLOAD_ROWS)
def test_uws_uploads_obey_the_upload_limit_and_the_quota(
    client, alice, settings, attack, limits, size, said
):
    if "quota" in limits:
        Quota.objects.create(user=alice, bytes=limits["quota"])
    else:
        settings.VOCLOUD_MAX_UPLOAD_BYTES = limits["VOCLOUD_MAX_UPLOAD_BYTES"]
    attachment = SimpleUploadedFile("a.bin", b"x" * size)
    response = uws_post(client, SELFTEST, {"DURATION": "0"}, {"ATTACHMENT": attachment})
    assert response.status_code == 413, response.content
    assert (
        response.content.decode().startswith("UsageError: ") and said in response.content.decode()
    )
    assert not Job.objects.exists()


def test_job_uploads_count_against_the_quota_of_the_file_manager(client, alice):
    Quota.objects.create(user=alice, bytes=1000)
    attachment = SimpleUploadedFile("a.bin", b"x" * 600)
    assert uws_post(client, SELFTEST, {}, {"ATTACHMENT": attachment}).status_code == 303
    assert Job.objects.get().upload_bytes == 600
    client.force_login(alice)
    page = client.post(
        "/files/upload/",
        {"folder": "", "files": SimpleUploadedFile("b.bin", b"y" * 600)},
        follow=True,
    )
    assert "Upload refused" in page.content.decode()
    assert not (user_space_of(alice).files / "b.bin").exists()


def test_a_parameter_upload_replacing_one_is_counted_once(client, alice):
    Quota.objects.create(user=alice, bytes=1000)
    first = uws_post(client, SELFTEST, {}, {"ATTACHMENT": SimpleUploadedFile("a", b"x" * 700)})
    job_url = first["Location"]
    again = client.post(
        f"{job_url}/parameters",
        {"ATTACHMENT": SimpleUploadedFile("b", b"y" * 800)},
        **basic("alice"),
    )
    assert again.status_code == 303
    assert Job.objects.get().upload_bytes == 800


def test_the_portal_job_form_obeys_the_upload_limit(client, alice, settings):
    settings.VOCLOUD_MAX_UPLOAD_BYTES = 1000
    client.force_login(alice)
    page = client.post(
        "/jobs/new/selftest/",
        {"duration": "0", "attachment": SimpleUploadedFile("a.bin", b"x" * 5000)},
    )
    assert page.status_code == 200 and "bigger than the 1000 bytes allowed" in page.content.decode()
    assert not Job.objects.exists()


def test_one_user_cannot_queue_more_than_the_active_cap(client, alice, bob, settings):
    settings.VOCLOUD_MAX_ACTIVE_JOBS_PER_USER = 2
    for _ in range(2):
        assert uws_post(client, SELFTEST, {"PHASE": "RUN"}).status_code == 303
    refused = uws_post(client, SELFTEST, {"PHASE": "RUN"})
    assert refused.status_code == 429
    assert "2 jobs queued or executing" in refused.content.decode()
    assert Job.objects.filter(owner=alice).count() == 2  # nothing left behind
    pending = uws_post(client, SELFTEST, {})  # a PENDING job may still be made...
    run = client.post(f"{pending['Location']}/phase", {"PHASE": "RUN"}, **basic("alice"))
    assert run.status_code == 429  # ...but not run
    other = client.post(SELFTEST, {"PHASE": "RUN"}, **basic("bob"))
    assert other.status_code == 303  # the cap is per user


def test_one_user_cannot_keep_more_than_the_job_cap(client, alice, settings):
    settings.VOCLOUD_MAX_JOBS_PER_USER = 3
    for _ in range(3):
        assert uws_post(client, SELFTEST, {}).status_code == 303
    refused = uws_post(client, SELFTEST, {})
    assert refused.status_code == 429 and "delete some first" in refused.content.decode()


def test_a_worker_defers_a_job_whose_owner_runs_the_most_jobs(alice, bob, settings):
    settings.VOCLOUD_MAX_RUNNING_JOBS_PER_USER = 1
    running, waiting = (service.create_job(alice, KINDS["selftest"], {}) for _ in range(2))
    others = service.create_job(bob, KINDS["selftest"], {})
    for job in (running, waiting, others):
        assert phases.transition(job, Phase.QUEUED)
    assert execution._claim(running) == "claimed"
    assert execution._claim(waiting) == "deferred"  # alice runs one already
    assert Job.objects.get(pk=waiting.pk).phase == Phase.QUEUED
    assert execution._claim(others) == "claimed"  # bob is not held up by alice


END_OF_TIME = "9999-12-31T23:59:59.999999999Z"
ODD_VALUES = [  # attack: a value that used to answer 500 -> a 4xx or a plain success
    ("DESTRUCTION at the end of time", "post", "/destruction", {"DESTRUCTION": END_OF_TIME}, 303),
    ("AFTER at the end of time", "get", "", {"AFTER": END_OF_TIME}, 200),
    ("LAST larger than any integer column", "get", "", {"LAST": "9" * 40}, 200),
    ("DESTRUCTION in year 0", "post", "/destruction", {"DESTRUCTION": "0000-01-01T00:00:00Z"}, 400),
]  # fmt: skip


@pytest.mark.parametrize(("attack", "method", "where", "values", "status"), ODD_VALUES)
def test_odd_time_and_count_values_never_fail_the_server(
    client, alice, attack, method, where, values, status
):
    created = uws_post(client, SELFTEST, {})
    url = f"{created['Location']}{where}" if where else SELFTEST
    response = getattr(client, method)(url, values, **basic("alice"))
    assert response.status_code == status, response.content[:300]


def test_run_racing_a_delete_is_not_found_not_a_server_error(alice):
    job = service.create_job(alice, KINDS["selftest"], {})
    Job.objects.filter(pk=job.pk).delete()  # the DELETE won the race
    with pytest.raises(NotFound):
        service.run_job(job)
    with pytest.raises(NotFound):
        job.phase = Phase.EXECUTING
        service.abort_job(job)


def user_space_of(user):
    from django.conf import settings

    return user_space(settings.DATA_DIR, user.pk).ensure()


def _upload_in_process(root: str, result, data: bytes) -> None:
    from services.storage.layout import UserSpace
    from services.storage.quota import QuotaExceeded

    space = UserSpace(Path(root))
    try:
        store_uploads(space, "", [Upload("big.bin", Bytes(data))], QuotaSpec(limit_bytes=15_000))
        result.put("stored")
    except QuotaExceeded:
        result.put("refused")


def test_concurrent_uploads_cannot_overshoot_the_quota(tmp_path):
    """Four processes each upload 10 kB into a 15 kB quota at the same moment: one wins."""
    space = user_space(tmp_path, 1).ensure()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(target=_upload_in_process, args=(str(space.root), results, b"z" * 10_000))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert outcomes == ["refused", "refused", "refused", "stored"]
    assert space.usage_bytes() <= 15_000


def ingest_context(tmp_path, room: int) -> JobContext:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    return JobContext(
        "j", job_dir, tmp_path / "user", quota=QuotaSpec(limit_bytes=room), fetch_policy=TEST_POLICY
    )


def test_ingest_downloads_obey_the_quota(tmp_path):
    """Three spectra by URL into a quota with room for one: the others are refused."""
    from astropy.io.votable import parse_single_table

    room = REAL_FITS[0].stat().st_size + 5000
    ctx = ingest_context(tmp_path, room)
    with HostileHttp(REAL_FITS[0].read_bytes()) as server:
        listing = tmp_path / "urls.txt"
        listing.write_text("".join(f"{server.url}/s{i}.fits\n" for i in range(3)))
        ingest_run(IngestParameters(url_list=listing, parallel=1), ctx)
    rows = parse_single_table(str(ctx.results_dir / "report.vot")).to_table()
    assert sorted(str(s) for s in rows["status"]) == ["failed", "failed", "ok"]
    assert all("Ingest refused" in str(r) for r in rows["reason"] if r)
    assert ctx.user_space.usage_bytes() <= room


def test_an_ingested_archive_larger_than_the_free_quota_is_refused_while_extracted(tmp_path):
    import tarfile

    archive = tmp_path / "three.tar"
    with tarfile.open(archive, "w") as tar:
        for i in range(3):
            tar.add(REAL_FITS[i], arcname=f"s{i}.fits")
    ctx = ingest_context(tmp_path, REAL_FITS[0].stat().st_size + 100)
    with pytest.raises(JobFailure, match="what your storage quota has free"):
        ingest_run(IngestParameters(upload=archive), ctx)
    assert ctx.user_space.usage_bytes() == 0


def test_the_anonymous_client_cannot_upload_at_all(db):
    response = Client().post(SELFTEST, {"ATTACHMENT": SimpleUploadedFile("a", b"x")})
    assert response.status_code == 401


def test_a_gzipped_fits_bomb_is_refused_by_the_reader(tmp_path):
    """2.7 MB on disk, 600 MB decompressed: refused after reading 512 MB, never kept."""
    import gzip

    from services.spectra import SpectrumReadError, read_spectrum

    bomb = tmp_path / "bomb.fits.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as out:
        out.write(REAL_FITS[0].read_bytes()[:2880])  # a real primary header first
        for _ in range(600):
            out.write(bytes(1 << 20))
    with pytest.raises(SpectrumReadError, match="expands to more than 512 MB"):
        read_spectrum(bomb)


def test_a_runid_longer_than_its_column_is_a_usage_error(client, alice):
    response = uws_post(client, SELFTEST, {"RUNID": "r" * 1025})
    assert response.status_code == 400 and "RUNID must be at most 1024" in response.content.decode()
    assert not Job.objects.exists()


def test_spreadsheet_formulas_in_exported_candidates_are_made_inert():
    from vocloud.labelling.exports import render

    table = {
        "object": ['=HYPERLINK("http://x")', "+cmd", "@SUM(1)", "HD 1"],
        "z": ["-0.5", "1", "2", "3"],
    }
    body, _mime, _suffix = render(table, "csv", "candidates")
    lines = body.decode().splitlines()
    assert lines[1].startswith("\"'=HYPERLINK") and lines[2].startswith("'+cmd")
    assert lines[3].startswith("'@SUM") and lines[4] == "HD 1,3"
    assert lines[1].endswith(",-0.5")  # a negative number stays a number
