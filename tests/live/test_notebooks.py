"""The example notebooks of docs/notebooks, executed headlessly with a real kernel against a
live platform (nbclient): any error in any cell fails the test."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.platform import ROOT, run_job
from tests.support.toy_upload import toy_archive

pytestmark = pytest.mark.platform

NOTEBOOKS = ROOT / "docs" / "notebooks"
FOLDER = "nbtoy"


def execute(name: str, env: dict[str, str], workdir) -> nbformat.NotebookNode:
    """Run every cell of notebook ``name`` in a new python3 kernel with ``env`` added."""
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        book,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(workdir)}},
    )
    saved = dict(os.environ)
    os.environ.update(env)  # the kernel inherits the environment of its launcher
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if os.environ.get("VOCLOUD_NB_SAVE"):  # to read what a run showed
            nbformat.write(book, os.path.join(os.environ["VOCLOUD_NB_SAVE"], name))
    return book


def outputs(book: nbformat.NotebookNode) -> str:
    """All text the notebook's cells printed or displayed."""
    parts = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_the_notebooks_are_stored_without_outputs():
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == [
        "01-from-login-to-a-round.ipynb",
        "02-read-a-dataset.ipynb",
        "03-label-in-the-widget.ipynb",
    ]
    for name in names:
        book = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(book)
        assert all(not c.get("outputs") for c in book.cells if c.cell_type == "code"), name


def test_every_example_notebook_runs_against_the_platform(platform, tmp_path):
    alice = platform.session("alice")
    archive, snapshot, _labels = toy_archive(FOLDER, seed=11)
    run_job(alice, platform, "ingest", TARGET=FOLDER, files={"UPLOAD": ("t.tar.gz", archive)})
    env = {
        "VOCLOUD_URL": platform.url,
        "VOCLOUD_TOKEN": platform.api_token("alice", "notebooks"),
        "VOCLOUD_NB_FOLDER": FOLDER,
        "VOCLOUD_NB_LABELS": f"{FOLDER}.labels.csv",
        "VOCLOUD_NB_DATASET": FOLDER,
        "VOCLOUD_NB_SESSION": "toy from a notebook",
        "VOCLOUD_NB_EPOCHS": "3",
        "VOCLOUD_NB_K": "40",
    }
    # The label file goes in through the client itself, as a user of the notebooks would.
    from vocloud.client import Client

    Client(platform.url, env["VOCLOUD_TOKEN"]).files.upload(
        snapshot.encode(), f"{FOLDER}.labels.csv"
    )

    first = outputs(execute("01-from-login-to-a-round.ipynb", env, tmp_path))
    assert "round 1:" in first and "round 2:" in first, first[-2000:]
    second = outputs(execute("02-read-a-dataset.ipynb", env, tmp_path))
    assert "spectra on a grid of" in second, second[-2000:]
    third = execute("03-label-in-the-widget.ipynb", env, tmp_path)
    widget_cell = next(c for c in third.cells if "session.widget()" in c.source)
    mimes = {k for out in widget_cell.outputs for k in out.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" in mimes, mimes

    # Round 2 trained on the labels the first notebook pushed: 5 per class plus its own.
    portal = platform.session("alice")
    sessions = portal.get(f"{platform.url}/api/v1/labelling/sessions/").json()["sessions"]
    (made,) = [s for s in sessions if s["name"] == "toy from a notebook"]
    detail = portal.get(f"{platform.url}/api/v1/labelling/sessions/{made['id']}/").json()
    assert [r["number"] for r in detail["rounds"]] == [1, 2]
    assert detail["counts"]["total"] > 15
