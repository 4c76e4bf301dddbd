"""vocloud.client is usable where neither Django nor TensorFlow is installed."""

from __future__ import annotations

import subprocess
import sys

from tests.support.platform import ROOT

SCRIPT = """
import sys
sys.modules["django"] = None  # an import of either now fails
sys.modules["tensorflow"] = None
sys.modules["keras"] = None
import vocloud.client
from vocloud.client import Client, VocloudError
from vocloud.client import datasets, files, http, jobs, labelling, params, uws
vc = Client("http://127.0.0.1:9", token="t")
assert vc.files and vc.datasets and vc.jobs and vc.sessions
platform = ("django", "rest_framework", "services")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in platform)
print("loaded:", loaded)
"""


def test_the_client_imports_without_django_or_tensorflow():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "loaded: ['django']" in done.stdout  # only the None placed above


def test_a_client_needs_an_address_and_a_token(monkeypatch):
    import pytest

    from vocloud.client import Client, VocloudError

    monkeypatch.delenv("VOCLOUD_URL", raising=False)
    monkeypatch.delenv("VOCLOUD_TOKEN", raising=False)
    with pytest.raises(VocloudError, match="VOCLOUD_URL"):
        Client()
    with pytest.raises(VocloudError, match="VOCLOUD_TOKEN"):
        Client("http://127.0.0.1:9")
    monkeypatch.setenv("VOCLOUD_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("VOCLOUD_TOKEN", "t")
    assert Client().url == "http://127.0.0.1:9"
