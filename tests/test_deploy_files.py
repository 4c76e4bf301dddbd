"""The deployment files agree with the code: nginx accepts its site, units name real queues."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from vocloud.uws.kinds import KINDS, QUEUES

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_worker_units_cover_every_queue_and_only_real_ones():
    served = set()
    for unit in (DEPLOY / "systemd").glob("vocloud-worker-*@.service"):
        exec_start = re.search(r"^ExecStart=(.*)$", unit.read_text(), re.M).group(1)
        queues = re.search(r"--queues ([\w ]+?)(?: --|$)", exec_start).group(1).split()
        assert set(queues) <= set(QUEUES), unit.name
        served |= set(queues)
    assert served == set(QUEUES)
    assert {kind.queue for kind in KINDS.values()} == {"cpu", "gpu"}
    assert KINDS["train"].queue == KINDS["score"].queue == "gpu"
    assert KINDS["ingest"].queue == KINDS["project"].queue == "cpu"


def test_nginx_accepts_the_site(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    openssl = shutil.which("openssl")
    if not nginx or not openssl:
        pytest.skip("nginx or openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "vocloud.conf").read_text()
    site = site.replace("/etc/ssl/certs/vocloud.pem", str(cert))
    site = site.replace("/etc/ssl/private/vocloud.key", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
