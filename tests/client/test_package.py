"""vocloud-client (clients/python) builds offline into a wheel that holds vocloud.client only."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from tests.support.platform import ROOT

SOURCE = ROOT / "clients" / "python"


def test_the_wheel_ships_only_vocloud_client(tmp_path):
    # A copy (the link to vocloud/client followed): a build writes build/ and egg-info.
    project = tmp_path / "project"
    shutil.copytree(
        SOURCE, project, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    )
    built = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "-w", str(tmp_path / "dist"), str(project)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("vocloud_client-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    code = [n for n in names if ".dist-info/" not in n]
    assert code and all(n.startswith("vocloud/client/") for n in code), code
    assert "vocloud/__init__.py" not in names  # a namespace package, shared with the platform
    ours = {p.relative_to(ROOT).as_posix() for p in (ROOT / "vocloud" / "client").glob("*.py")}
    assert {f"vocloud/client/{n.rpartition('/')[2]}" for n in ours} <= set(code)
    # the labelling widget's front end
    assert {"vocloud/client/assets/widget.js", "vocloud/client/assets/widget.css"} <= set(code)
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        .decode()
    )
    requires = sorted(
        line.split()[1].split(">")[0].split("<")[0]
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    )
    assert requires == ["astropy", "numpy", "requests", "tqdm"]
