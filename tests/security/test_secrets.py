"""No secret in the source: without a key the platform refuses to start (DEBUG off), and a
link signed with any key written in the source is worthless.

Rows: attack -> expected refusal.
"""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from django.core import signing

from tests.support.platform import ROOT
from vocloud.files.links import SALT as FILE_SALT

# The key vocloud used when none was set, before keys left the source.
OLD_SOURCE_KEY = "insecure-development-key-set-VOCLOUD_SECRET_KEY"


def check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "vocloud.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


STARTS = [  # attack: start the platform with ... -> refused, and the sentence says why
    ("no key at all", {}, "no secret key: set VOCLOUD_SECRET_KEY"),
    ("the example file's placeholder", {"VOCLOUD_SECRET_KEY": "change-me"}, "placeholder"),
    ("a short guessable key", {"VOCLOUD_SECRET_KEY": "hunter2"}, "shorter than 32"),
]


@pytest.mark.parametrize(("attack", "env", "said"), STARTS, ids=[s[0] for s in STARTS])
def test_a_start_without_a_real_key_is_refused_with_one_sentence(attack, env, said, tmp_path):
    done = check(VOCLOUD_DATA_DIR=str(tmp_path), **env)
    assert done.returncode != 0
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_a_real_key_or_debug_starts(tmp_path):
    key = secrets.token_urlsafe(50)
    assert check(VOCLOUD_DATA_DIR=str(tmp_path), VOCLOUD_SECRET_KEY=key).returncode == 0
    assert check(VOCLOUD_DATA_DIR=str(tmp_path), VOCLOUD_DEBUG="true").returncode == 0
    key_file = tmp_path / "key"
    key_file.write_text(key)
    assert (
        check(VOCLOUD_DATA_DIR=str(tmp_path), VOCLOUD_SECRET_KEY_FILE=str(key_file)).returncode == 0
    )


@pytest.mark.platform
def test_a_link_forged_with_the_old_source_key_is_refused(platform):
    """The attack: sign {alice (user 1), her file} with the key once written in the source."""
    files = platform.data_dir / "users" / "1" / "files"
    files.mkdir(parents=True, exist_ok=True)
    (files / "private.txt").write_text("alice's notes\n")
    forged = signing.dumps(
        {"u": 1, "p": "private.txt"}, key=OLD_SOURCE_KEY, salt=FILE_SALT, compress=True
    )
    response = platform.session("alice").get(f"{platform.url}/files/signed/{forged}")
    assert response.status_code == 404
    assert "not valid" in response.text
