"""`nginx -t` on one of deploy/nginx's sites, with a throw-away certificate."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def check_site(site: str, cert: str, key: str, tmp_path: Path) -> None:
    """Assert nginx accepts ``site`` once its ``cert`` and ``key`` paths are replaced by a
    self-signed pair; skip where nginx or openssl is missing."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    openssl = shutil.which("openssl")
    if not nginx or not openssl:
        pytest.skip("nginx or openssl is not installed")
    made_cert, made_key = tmp_path / "cert.pem", tmp_path / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=test"]
    subprocess.run(
        [openssl, *request, "-keyout", str(made_key), "-out", str(made_cert), "-days", "1"],
        check=True,
        capture_output=True,
    )
    site = site.replace(cert, str(made_cert)).replace(key, str(made_key))
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
