"""The disk fills up under a running platform: jobs end in a clear state, nothing is lost.

The platform's job directory (or its database and users' storage) is a small tmpfs
(mounting needs root: skipped otherwise), filled to the last byte while the platform runs.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

import pytest
from lxml import etree

from tests.support.platform import (
    PASSWORDS,
    Platform,
    free_port,
    prepare,
    run_job,
    wait_for_phase,
)

pytestmark = [
    pytest.mark.platform,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root"),
]
UWS = {"uws": "http://www.ivoa.net/xml/UWS/v1.0"}
NOTE = "spectrum " * 1100  # a ~30 kB result


@pytest.fixture
def small_disk(tmp_path):
    """A platform whose job files live on a 4 MiB filesystem: (platform, that directory)."""
    data_dir = tmp_path / "data"
    env = prepare(data_dir)
    jobs = data_dir / "jobs"
    jobs.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(jobs)], check=True)
    platform = Platform(data_dir, free_port(), env)
    try:
        yield platform.start(), jobs
    finally:
        platform.stop()
        for _ in range(20):  # job processes may hold files for a moment
            if subprocess.run(["umount", str(jobs)], check=False).returncode == 0:
                break
            time.sleep(0.5)


def fill(directory: Path) -> Path:
    """Write a file until the filesystem refuses one more byte."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for block in (1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * block)
    finally:
        os.close(fd)
    return filler


def error_summary(session, job_url) -> tuple[str, str]:
    document = etree.fromstring(session.get(job_url).content)
    summary = document.find("uws:errorSummary", UWS)
    return summary.get("type"), summary.findtext("uws:message", namespaces=UWS)


def test_a_full_disk_fails_jobs_cleanly_and_loses_nothing(small_disk):
    platform, jobs = small_disk
    alice = platform.session("alice")
    before = run_job(alice, platform, "selftest", DURATION=0, NOTE=NOTE)
    kept = alice.get(f"{before.url}/results/result").content
    filler = fill(jobs)

    # A job that cannot write its result: ERROR, transient, said plainly; no half result.
    created = alice.post(
        platform.jobs_url("selftest"), data={"DURATION": 0, "NOTE": NOTE, "PHASE": "RUN"}
    )
    assert wait_for_phase(alice, created.url, {"ERROR", "COMPLETED"}, timeout=60) == "ERROR"
    error_type, message = error_summary(alice, created.url)
    assert error_type == "transient" and "The disk is full" in message, message
    job_id = created.url.rstrip("/").rsplit("/", 1)[1]
    assert not (jobs / job_id / "results").exists()
    assert alice.get(f"{created.url}/results/result").status_code == 404

    # An upload that does not fit: 503 with a UWS error, and no job left behind.
    listed = alice.get(platform.jobs_url("selftest")).text.count("<uws:jobref")
    refused = alice.post(
        platform.jobs_url("selftest"),
        data={"DURATION": 0},
        files={"ATTACHMENT": ("big.bin", b"x" * 200_000)},
        allow_redirects=False,
    )
    assert refused.status_code == 503, refused.text[:300]
    assert refused.text.startswith("ServiceUnavailable: no space left")
    assert alice.get(platform.jobs_url("selftest")).text.count("<uws:jobref") == listed

    # What was there before is intact; once space is back, jobs run again.
    assert alice.get(f"{before.url}/results/result").content == kept
    filler.unlink()
    again = run_job(alice, platform, "selftest", DURATION=0, NOTE=NOTE)
    assert alice.get(f"{again.url}/results/result").status_code == 200
    retried = run_job(
        alice, platform, "selftest", DURATION=0, files={"ATTACHMENT": ("big.bin", b"x" * 200_000)}
    )
    assert b"attachment_size" in alice.get(f"{retried.url}/results/result").content


@pytest.fixture
def small_portal_disk(tmp_path):
    """A platform whose database and users' storage live on an 8 MiB filesystem."""
    data_dir, small = tmp_path / "data", tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(small)], check=True)
    try:
        (small / "users").mkdir()
        data_dir.mkdir()
        (data_dir / "users").symlink_to(small / "users")
        env = prepare(data_dir, VOCLOUD_DATABASE_URL=f"sqlite:///{small}/vocloud.sqlite3")
        platform = Platform(data_dir, free_port(), env)
        try:
            yield platform.start(), small
        finally:
            platform.stop()
    finally:
        for _ in range(20):
            if subprocess.run(["umount", str(small)], check=False).returncode == 0:
                break
            time.sleep(0.5)


def _form(session, url: str, data: dict, files=None):
    token = session.cookies.get("csrftoken", "")
    return session.post(
        url, data={"csrfmiddlewaretoken": token, **data}, files=files, headers={"Referer": url}
    )


def test_a_full_disk_answers_the_portal_with_503_and_loses_nothing(small_portal_disk):
    """File-manager upload and copy, and a log-in (its session is a database write), on a
    full disk: 503 with one sentence, never a traceback or a path; what was stored stays."""
    platform, small = small_portal_disk
    portal = platform.portal_session("alice")
    upload = f"{platform.url}/files/upload/"
    assert _form(portal, upload, {"folder": ""}, [("files", ("kept.txt", b"kept\n"))]).ok
    filler = fill(small)

    answers = {
        "upload": _form(portal, upload, {"folder": ""}, [("files", ("new.txt", b"x" * 50_000))]),
        "copy": _form(portal, f"{platform.url}/files/copy/", {"paths": "kept.txt", "dest": ""}),
    }
    login = platform.session("alice")  # a new browser: its log-in must write a session
    login.auth = None
    login.get(f"{platform.url}/accounts/login/")
    answers["login"] = _form(
        login,
        f"{platform.url}/accounts/login/",
        {"username": "alice", "password": PASSWORDS["alice"]},
    )
    for what, answer in answers.items():
        assert answer.status_code == 503, (what, answer.status_code, answer.text[:300])
        assert "disk is full: nothing was saved" in answer.text, what
        assert "Traceback" not in answer.text and str(small) not in answer.text, what

    filler.unlink()
    files = small / "users" / "1" / "files"
    assert (files / "kept.txt").read_text() == "kept\n"
    assert not (files / "new.txt").exists()
    assert _form(portal, upload, {"folder": ""}, [("files", ("new.txt", b"y"))]).ok
    assert (files / "new.txt").read_bytes() == b"y"
