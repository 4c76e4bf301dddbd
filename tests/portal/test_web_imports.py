"""The web process never loads TensorFlow, Keras, umap or numba (DESIGN: they belong to jobs)."""

import secrets
import subprocess
import sys

from tests.support.platform import ROOT

PROBE = """
import sys
import django
django.setup()
import vocloud.urls
from vocloud.uws.kinds import KINDS
for kind in KINDS.values():
    kind.parameters  # what the portal imports to render forms and documentation
import vocloud.portal.views, vocloud.files.views, vocloud.datasets.views
print(sorted(m for m in ("tensorflow", "keras", "umap", "numba", "torch", "jax")
             if m in sys.modules))
"""


def test_the_web_process_imports_no_learning_framework():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "DJANGO_SETTINGS_MODULE": "vocloud.settings",
            "PATH": "",
            "VOCLOUD_SECRET_KEY": secrets.token_urlsafe(50),
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
