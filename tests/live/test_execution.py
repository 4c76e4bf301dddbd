"""Jobs on the real platform: processes really stop, limits are enforced, faults are survived."""

import io
import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from astropy.io.votable import parse_single_table
from lxml import etree

from tests.support.platform import Platform, free_port, prepare, wait_for_phase
from tests.support.procs import alive, descendants

pytestmark = pytest.mark.platform
UWS = {"uws": "http://www.ivoa.net/xml/UWS/v1.0"}


def create(session, platform, **params) -> str:
    response = session.post(platform.jobs_url(), data=params, allow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def job_processes(platform) -> set[int]:
    """Job processes: the worker's grandchildren (worker -> fork server -> job)."""
    worker = platform.pid("worker")
    return {pid for pid in descendants(worker) if pid not in _direct_children(worker)}


def _direct_children(pid: int) -> set[int]:
    from tests.support.procs import children_map

    return set(children_map().get(pid, []))


def wait_until(predicate, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def error_message(session, job_url) -> str:
    document = etree.fromstring(session.get(job_url).content)
    return document.findtext("uws:errorSummary/uws:message", namespaces=UWS) or ""


def test_abort_kills_the_job_process_within_seconds(platform):
    alice = platform.session("alice")
    job = create(alice, platform, DURATION=60, PHASE="RUN")
    wait_for_phase(alice, job, {"EXECUTING"})
    wait_until(lambda: job_processes(platform), 5, "no job process appeared")
    running = job_processes(platform)
    alice.post(f"{job}/phase", data={"PHASE": "ABORT"}, allow_redirects=False)
    assert alice.get(f"{job}/phase").text == "ABORTED"
    wait_until(
        lambda: not any(alive(pid) for pid in running),
        5,
        f"job processes {running} still run 5 s after ABORT",
    )


def test_execution_duration_stops_an_overrunning_job(platform):
    alice = platform.session("alice")
    job = create(alice, platform, DURATION=60, EXECUTIONDURATION=2, PHASE="RUN")
    start = time.monotonic()
    assert wait_for_phase(alice, job, {"ABORTED", "ERROR", "COMPLETED"}, timeout=15) == "ABORTED"
    assert time.monotonic() - start < 8
    assert "execution duration of 2 s" in error_message(alice, job)


def test_failed_job_explains_itself(platform):
    alice = platform.session("alice")
    job = create(alice, platform, DURATION=0, FAIL="true", PHASE="RUN")
    assert wait_for_phase(alice, job, {"ERROR", "COMPLETED"}) == "ERROR"
    assert "asked to fail" in error_message(alice, job)
    detail = alice.get(f"{job}/error")
    assert detail.status_code == 200 and "asked to fail" in detail.text


def test_uploaded_attachment_reaches_the_job(platform):
    alice = platform.session("alice")
    payload = os.urandom(5000)
    response = alice.post(
        platform.jobs_url(),
        data={"DURATION": "0", "PHASE": "RUN"},
        files={"attachment": ("x.bin", payload)},
        allow_redirects=False,
    )
    job = response.headers["Location"]
    assert wait_for_phase(alice, job, {"COMPLETED", "ERROR"}) == "COMPLETED"
    table = parse_single_table(io.BytesIO(alice.get(f"{job}/results/result").content))
    import hashlib

    assert table.array["attachment_sha256"][0] == hashlib.sha256(payload).hexdigest()
    assert int(table.array["attachment_size"][0]) == len(payload)


def test_destruction_time_removes_job_and_files(platform):
    alice = platform.session("alice")
    job = create(alice, platform, DURATION=0, PHASE="RUN")
    wait_for_phase(alice, job, {"COMPLETED"})
    job_dir = platform.data_dir / "jobs" / job.rsplit("/", 1)[1]
    assert (job_dir / "results" / "result.vot").is_file()
    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    alice.post(f"{job}/destruction", data={"DESTRUCTION": soon})
    wait_until(lambda: alice.get(job).status_code == 404, 15, "job not destroyed in time")
    # the record goes first, its files just after (a moment later on a loaded machine)
    wait_until(lambda: not job_dir.exists(), 5, "the job's files outlived it")


def test_signed_result_link_works_without_a_session(platform):
    alice = platform.session("alice")
    job = create(alice, platform, DURATION=0, PHASE="RUN")
    wait_for_phase(alice, job, {"COMPLETED"})
    kind, job_id = job.split("/uws/")[1].split("/async/")
    browser = platform.portal_session("alice")
    status = browser.get(f"{platform.url}/jobs/{kind}/{job_id}/status.json").json()
    signed = status["results"][0]["signed_url"]
    anonymous = requests.get(signed)
    assert anonymous.status_code == 200
    assert anonymous.content == alice.get(f"{job}/results/result").content
    assert requests.get(signed[:-3] + "xyz").status_code == 404
    # bob's session cannot read alice's status page
    assert (
        platform.portal_session("bob")
        .get(f"{platform.url}/jobs/{kind}/{job_id}/status.json")
        .status_code
        == 404
    )


def test_killed_worker_leaves_its_job_in_error_and_is_replaced(platform):
    alice = platform.session("alice")
    job = create(alice, platform, DURATION=60, PHASE="RUN")
    wait_for_phase(alice, job, {"EXECUTING"})
    wait_until(lambda: job_processes(platform), 5, "no job process appeared")
    orphans = job_processes(platform)
    worker = platform.pid("worker")
    os.kill(worker, signal.SIGKILL)
    assert wait_for_phase(alice, job, {"ERROR"}, timeout=20) == "ERROR"
    assert "worker" in error_message(alice, job)
    wait_until(
        lambda: not any(alive(pid) for pid in orphans),
        10,
        "the job process outlived its killed worker",
    )
    wait_until(lambda: platform.pid("worker") != worker, 10, "worker not restarted")
    after = create(alice, platform, DURATION=0, PHASE="RUN")
    assert wait_for_phase(alice, after, {"COMPLETED", "ERROR"}, timeout=60) == "COMPLETED"


def test_queued_jobs_survive_a_restart_and_then_run(tmp_path):
    data_dir = tmp_path / "restart"
    env = prepare(data_dir)
    first = Platform(data_dir, free_port(), env, worker=False).start()
    try:
        alice = first.session("alice")
        jobs = [create(alice, first, DURATION=0, PHASE="RUN") for _ in range(3)]
        assert {alice.get(f"{job}/phase").text for job in jobs} == {"QUEUED"}
    finally:
        first.stop()
    second = Platform(data_dir, free_port(), env).start()
    try:
        alice = second.session("alice")
        for job in jobs:
            moved = job.replace(f":{first.port}/", f":{second.port}/")
            assert wait_for_phase(alice, moved, {"COMPLETED", "ERROR"}, 60) == "COMPLETED"
    finally:
        second.stop()
