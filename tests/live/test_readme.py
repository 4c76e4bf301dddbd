"""README's pyvo example, run as written against a running platform."""

import os
import re
import subprocess
import sys

import pytest

from tests.support.platform import PASSWORDS, ROOT

pytestmark = pytest.mark.platform


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- pyvo-example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert match, "README.md has no marked pyvo example"
    return match.group(1)


def test_readme_pyvo_example_runs(platform):
    env = {
        **os.environ,
        "VOCLOUD_URL": platform.url,
        "VOCLOUD_USER": "alice",
        "VOCLOUD_PASSWORD": PASSWORDS["alice"],
    }
    result = subprocess.run(
        [sys.executable, "-c", readme_example()],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "COMPLETED ['result']" in result.stdout
    assert "hello" in result.stdout  # the NOTE comes back in the result table
