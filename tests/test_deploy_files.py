"""The deployment files agree with the code: nginx accepts its site, units name real queues."""

import re
from pathlib import Path

from tests.support.nginx import check_site
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
    site = (DEPLOY / "nginx" / "vocloud.conf").read_text()
    check_site(site, "/etc/ssl/certs/vocloud.pem", "/etc/ssl/private/vocloud.key", tmp_path)
