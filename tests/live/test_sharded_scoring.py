"""Distributed scoring on the running platform: shards on several workers, one result.

Two more GPU-queue workers (``manage.py worker --queues gpu``, as on extra machines) join
the platform's own. A score job cut into shards runs on all of them and merges into the
table one worker gives; ABORT stops every shard's process; a worker killed with SIGKILL
mid-shard loses nothing (its shard goes back to the queue). (The worker that runs the job
itself is another matter: like any job whose worker dies, the job ends in ERROR.)
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import time

import numpy as np
import pytest

from tests.support.platform import run_job, start_workers, stop_workers, wait_for_phase
from tests.support.procs import alive, children_map, descendants
from tests.support.toy_upload import toy_archive

pytestmark = pytest.mark.platform
SHARDED = {"SHARD_SIZE": 16, "BATCH_SIZE": 16, "MC_SAMPLES": 8, "K": 12, "ACQUISITION": "bald"}


@pytest.fixture(scope="module")
def model(platform):
    """A small classifier trained on the toy spectra, in bob's space: (session, job id)."""
    archive, snapshot, _ = toy_archive("sharding")
    bob = platform.session("bob")
    upload = {"UPLOAD": ("toy.tar.gz", archive)}
    run_job(bob, platform, "ingest", TARGET="sharding", files=upload)
    run_job(bob, platform, "dataset", NAME="shardtoy", FOLDERS="sharding", NORMALISATION="none")
    trained = run_job(
        bob, platform, "train", DATASET="shardtoy", EPOCHS=5, BATCH_SIZE=16, FILTERS="8",
        KERNEL_SIZES="5", DENSE=16, SEED=2, files={"LABELS": ("labels.csv", snapshot)},
    )  # fmt: skip
    return bob, trained.job_id


@pytest.fixture
def workers(platform):
    """Two more GPU-queue workers on the platform's broker and database."""
    started = start_workers(platform, 2)
    yield started
    stop_workers(started)


def query(platform, sql: str, *args) -> list[tuple]:
    """Rows from the platform's own database."""
    with contextlib.closing(sqlite3.connect(platform.data_dir / "vocloud.sqlite3")) as db:
        return db.execute(sql, args).fetchall()


def shards(platform, job_id: str) -> list[tuple[int, str, str, int]]:
    """(index, state, worker, attempts) of a job's shards."""
    return query(
        platform,
        "SELECT s.'index', s.state, s.worker, s.attempts FROM uws_shard s "
        "JOIN uws_job j ON s.job_id = j.id WHERE j.job_id = ? ORDER BY s.'index'",
        job_id,
    )


def wait_for(predicate, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.1)
    raise AssertionError(message)


def test_shards_run_on_several_workers_and_merge_into_one_result(platform, model, workers):
    bob, trained = model
    one_piece = {**SHARDED, "SHARD_SIZE": 1000}
    whole = run_job(bob, platform, "score", MODEL=trained, DATASET="shardtoy", **one_piece)
    sharded = run_job(bob, platform, "score", MODEL=trained, DATASET="shardtoy", **SHARDED)
    rows = shards(platform, sharded.job_id)
    assert len(rows) == 6 and {state for _, state, _, _ in rows} == {"DONE"}  # 90 rows / 16
    assert len({worker for _, _, worker, _ in rows}) >= 2, rows
    assert len(shards(platform, whole.job_id)) == 1
    one, many = whole.fetch_result().to_table(), sharded.fetch_result().to_table()
    np.testing.assert_allclose(many["score"], one["score"], rtol=1e-5, atol=1e-7)
    assert list(many["selected"]) == list(one["selected"])
    assert (many["selected"] >= 0).sum() == 12
    top = [r for r in sharded.results if r.id_ == "top-k"]
    assert len(top) == 1 and len(sharded.fetch_result().to_table()) == 90


def _shard_processes(platform, workers) -> set[int]:
    """Job processes under every GPU worker (worker -> fork server -> job process)."""
    found: set[int] = set()
    for root in [platform.pid("worker-gpu"), *(w.pid for w in workers)]:
        found |= descendants(root) - set(children_map().get(root, []))
    return found


def test_abort_stops_every_shard(platform, model, workers):
    bob, trained = model
    created = bob.post(
        platform.jobs_url("score"),
        data={"MODEL": trained, "DATASET": "shardtoy", **SHARDED, "SHARD_SIZE": 16,
              "MC_SAMPLES": 200, "PHASE": "RUN"},
    )  # fmt: skip
    job_url = created.url
    job_id = job_url.rstrip("/").rsplit("/", 1)[1]
    wait_for(
        lambda: sum(state == "RUNNING" for _, state, _, _ in shards(platform, job_id)) >= 2,
        60,
        f"two shards never ran at once: {shards(platform, job_id)}",
    )
    running = wait_for(lambda: _shard_processes(platform, workers), 10, "no shard process")
    bob.post(f"{job_url}/phase", data={"PHASE": "ABORT"})
    assert bob.get(f"{job_url}/phase").text == "ABORTED"
    wait_for(
        lambda: not any(alive(pid) for pid in running),
        8,
        f"shard processes {running} still run 8 s after ABORT",
    )
    # A shard claimed just before the ABORT may still be starting its process (seconds on a
    # loaded machine): it is stopped at its first tick. None may stay RUNNING.
    wait_for(
        lambda: "RUNNING" not in [state for _, state, _, _ in shards(platform, job_id)],
        30,
        f"a shard still runs 30 s after ABORT: {shards(platform, job_id)}",
    )
    time.sleep(2)  # the other shards' messages arrive at workers now: they must not start
    states = [state for _, state, _, _ in shards(platform, job_id)]
    assert "RUNNING" not in states and states.count("DONE") < len(states), states
    assert bob.get(f"{job_url}/phase").text == "ABORTED"


def test_a_worker_killed_mid_shard_loses_nothing(platform, model, workers):
    bob, trained = model
    created = bob.post(
        platform.jobs_url("score"),
        data={"MODEL": trained, "DATASET": "shardtoy", **SHARDED, "MC_SAMPLES": 100,
              "PHASE": "RUN"},
    )  # fmt: skip
    job_url = created.url
    job_id = job_url.rstrip("/").rsplit("/", 1)[1]

    def shard_worker_but_not_the_jobs():
        """An extra worker running a shard of the job, not the worker that runs the job."""
        parent = query(platform, "SELECT worker FROM uws_job WHERE job_id = ?", job_id)[0][0]
        running = {w for _, s, w, _ in shards(platform, job_id) if s == "RUNNING"}
        for worker in workers:
            tag = f":{worker.pid}"
            if not parent.endswith(tag) and any(w.endswith(tag) for w in running):
                return worker
        return None

    victim = wait_for(shard_worker_but_not_the_jobs, 60, "no extra worker took a shard")
    tag = f":{victim.pid}"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    phase = wait_for_phase(bob, job_url, {"COMPLETED", "ERROR"}, timeout=120)
    assert phase == "COMPLETED", (bob.get(job_url).text, shards(platform, job_id))
    rows = shards(platform, job_id)
    assert {state for _, state, _, _ in rows} == {"DONE"}
    assert any(attempts == 2 for *_, attempts in rows), rows  # the lost shard, run again
    assert not any(w.endswith(tag) for _, _, w, _ in rows)
    table = bob.get(f"{job_url}/results/result")
    assert table.status_code == 200 and table.text.count("<TR>") == 90
