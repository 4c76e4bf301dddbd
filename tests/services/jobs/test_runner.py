"""The job process: results and failures come back; it dies with its parent."""

import signal
import subprocess
import sys
import time

from services.jobs import runner
from tests.support.procs import alive


def collect(process, timeout=30):
    messages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = process.poll(0.1)
        messages += batch
        if any(m.kind != "progress" for m in batch):
            break
    return messages


def test_selftest_runs_and_reports(tmp_path):
    process = runner.start("services.selftest", {"duration": 0.4, "note": "hi"}, "j1", tmp_path)
    messages = collect(process)
    process.kill()
    assert any(m.kind == "progress" for m in messages)
    final = messages[-1]
    assert final.kind == "done" and final.results[0].id == "result"
    assert (tmp_path / "results" / "result.vot").stat().st_size > 0
    assert "selftest done" in (tmp_path / "job.log").read_text()


def test_failure_carries_message_and_traceback(tmp_path):
    process = runner.start("services.selftest", {"duration": 0, "fail": True}, "j2", tmp_path)
    final = collect(process)[-1]
    process.kill()
    assert final.kind == "failed" and "asked to fail" in final.text
    assert "Traceback" in final.detail and final.error_type == "fatal"


def test_bad_parameters_fail_inside_the_job(tmp_path):
    process = runner.start("services.selftest", {"duration": "x"}, "j3", tmp_path)
    final = collect(process)[-1]
    process.kill()
    assert final.kind == "failed" and "ValidationError" in final.text


PARENT = """
import sys, time
from pathlib import Path
from services.jobs import runner
p = runner.start("services.selftest", {"duration": 60}, "j4", Path(sys.argv[1]))
print(p.pid, flush=True)
time.sleep(60)
"""


def test_job_process_dies_with_its_parent(tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child), "the job process outlived its parent"


SLOW_START = """
import threading
from services.jobs import runner
threading.Thread(target=runner.start_server, args=(["tests.support.slow_preload"],)).start()
"""


def test_a_fork_server_still_preloading_dies_with_its_worker():
    """Its own check of the parent comes only after the preloading (UMAP: a minute)."""
    from tests.support.procs import descendants

    parent = subprocess.Popen([sys.executable, "-c", SLOW_START])
    deadline = time.monotonic() + 20
    while not (server := descendants(parent.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server, "no fork server started"
    time.sleep(1)  # it is preloading now
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in server), "the fork server outlived its worker"
