"""Faults and secrets on the running platform: a training job over its execution duration,
and passwords or API tokens never written to a log."""

from __future__ import annotations

import time

import pytest
from lxml import etree

from tests.support.platform import PASSWORDS, run_job, wait_for_phase
from tests.support.toy_upload import toy_archive

pytestmark = pytest.mark.platform
UWS = {"uws": "http://www.ivoa.net/xml/UWS/v1.0"}


def test_training_over_its_execution_duration_stops_cleanly(platform):
    bob = platform.session("bob")
    archive, snapshot, _ = toy_archive("faults", seed=11)
    run_job(bob, platform, "ingest", TARGET="faults", files={"UPLOAD": ("t.tar.gz", archive)})
    run_job(bob, platform, "dataset", NAME="faults", FOLDERS="faults", NORMALISATION="none")
    params = {"DATASET": "faults", "BATCH_SIZE": "8", "PATIENCE": "200", "EPOCHS": "2000"}
    created = bob.post(
        platform.jobs_url("train"),
        data={**params, "EXECUTIONDURATION": "6", "PHASE": "RUN"},
        files={"LABELS": ("labels.csv", snapshot)},
    )
    assert created.history and created.history[0].status_code == 303, created.text[:300]
    start = time.monotonic()
    phase = wait_for_phase(bob, created.url, {"ABORTED", "ERROR", "COMPLETED"}, timeout=90)
    assert phase == "ABORTED", phase
    document = etree.fromstring(bob.get(created.url).content)
    message = document.findtext("uws:errorSummary/uws:message", namespaces=UWS) or ""
    assert "execution duration of 6 s" in message
    assert document.find("uws:results/uws:result", UWS) is None  # no half-written model
    assert time.monotonic() - start < 60
    # the ML worker goes on: the next training completes
    again = run_job(
        bob,
        platform,
        "train",
        files={"LABELS": ("labels.csv", snapshot)},
        **{**params, "EPOCHS": "3", "PATIENCE": "3"},
    )
    assert {r.id_ for r in again.results} >= {"model", "metrics"}


def test_passwords_and_tokens_never_reach_the_logs(platform):
    key = platform.api_token("alice", "log check")
    token = platform.session("alice")
    token.auth = None
    token.headers["Authorization"] = f"Token {key}"
    assert token.get(platform.jobs_url()).status_code == 200
    basic = platform.session("alice")
    assert basic.get(platform.jobs_url()).status_code == 200
    wrong = platform.session("alice")
    wrong.auth = ("alice", "not-" + PASSWORDS["alice"])
    assert wrong.get(platform.jobs_url()).status_code == 401
    time.sleep(1)  # let the processes flush their logs
    logs = platform.logs()
    for f in (platform.data_dir / "jobs").rglob("*.log"):
        logs += f.read_text(errors="replace")
    for secret in (key, PASSWORDS["alice"], PASSWORDS["bob"], "not-" + PASSWORDS["alice"]):
        assert secret not in logs
