"""The labelling widget in a real JupyterLab on 127.0.0.1, in headless Chromium: the notebook
makes the widget on a session of the running platform, a lasso and a class key label the
spectra, and the labels arrive on the platform; the notebook's own keys stay quiet.

Also, without a browser: the kernel side sends only this session's panel requests on."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.live.test_labelling import lasso, start_session, toy_dataset
from tests.support.browser import CHROMIUM_FLAGS, chromium_path
from tests.support.platform import free_port
from vocloud.client import Client
from vocloud.client.widget import LabelWidget

pytestmark = pytest.mark.platform
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "jupyter-widget.png"


@pytest.fixture(scope="module")
def widget_session(platform):
    """alice's toy dataset "widgetme", a session on it with round 1 ready, her API token."""
    portal = toy_dataset(platform, "widgetme", seed=9)
    session_id = start_session(
        portal,
        platform,
        dataset="widgetme",
        import_file="widgetme.labels.csv",
        name="widget lines",
        schema="classes",
        target="class",
        per_class="5",
    )
    return portal, session_id, platform.api_token("alice", "notebook")


def test_the_kernel_sends_only_the_sessions_panel_requests(platform, widget_session):
    _portal, session_id, token = widget_session
    panel = LabelWidget(Client(platform.url, token), session_id)
    cfg = panel._panel["config"]
    assert panel.round == 1 and cfg["labelsUrl"] == f"/labelling/{session_id}/labels/"
    status, data = panel.forward("GET", f"{cfg['spectrumUrl']}?rank=0")
    assert status == 200 and len(data["wave"]) > 10
    refused = [
        ("GET", "/accounts/tokens/"),  # the platform, but not the panel
        ("POST", f"/labelling/{session_id + 1}/labels/"),  # another session
        ("GET", f"{platform.url}{cfg['spectrumUrl']}?rank=0"),  # an absolute URL
        ("GET", f"http://example.org{cfg['spectrumUrl']}?rank=0"),
        ("GET", f"//example.org{cfg['spectrumUrl']}"),
        ("GET", cfg["labelsUrl"]),  # a POST endpoint
        ("POST", f"{cfg['spectrumUrl']}?rank=0"),
        ("GET", f"{cfg['spectrumUrl']}?rank=0&next=/admin/"),  # a query it does not take
        ("GET", f"{cfg['spectrumUrl']}/../../../../accounts/tokens/"),
    ]
    for method, url in refused:
        status, data = panel.forward(method, url)
        assert status == 403 and data["error"].endswith("."), (method, url, data)
    # A refusal of the platform's comes back as its sentence, not as an exception.
    status, data = panel.forward("GET", f"{cfg['spectrumUrl']}?rank=999999")
    assert status == 404 and data["error"]


NOTEBOOK_CELL = """\
from vocloud.client import Client
from vocloud.client.widget import LabelWidget

panel = LabelWidget(Client(), {session_id})
panel"""


def write_notebook(folder: Path, session_id: int) -> Path:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "make-widget",
        "metadata": {},
        "outputs": [],
        "source": NOTEBOOK_CELL.format(session_id=session_id),
    }
    notebook = {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = folder / "label.ipynb"
    path.write_text(json.dumps(notebook))
    return path


@pytest.fixture
def jupyterlab(platform, widget_session, tmp_path):
    """A real JupyterLab on 127.0.0.1 whose kernels know the platform and alice's token."""
    _portal, session_id, api_token = widget_session
    root = tmp_path / "notebooks"
    root.mkdir()
    write_notebook(root, session_id)
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)  # no news and update toasts over the widget
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "VOCLOUD_URL": platform.url,
        "VOCLOUD_TOKEN": api_token,
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    log = (tmp_path / "jupyterlab.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/api/status?token={token}", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, (tmp_path / "jupyterlab.log").read_text()[-2000:]
            time.sleep(0.3)
        yield url, token, session_id
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


MESSAGE_JS = "() => (document.querySelector('.vocloud-label #message') || {}).textContent"


def platform_labels(portal, platform, session_id: int) -> dict[str, str]:
    """path -> label of round 1's sample, as the platform has them now."""
    url = f"{platform.url}/labelling/{session_id}/rounds/1/candidates/?format=csv"
    response = portal.get(url)
    response.raise_for_status()
    rows = csv.DictReader(io.StringIO(response.text.lstrip("#")))
    return {row["path"]: row["label"] for row in rows}


def run_the_cell(page) -> None:
    """Run the notebook's one cell (Ctrl+Enter: stay on it), again if the keys came too soon
    after the page load to take (its prompt still says "[ ]:")."""
    prompt = page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first
    for _ in range(5):
        page.click(".jp-Notebook .jp-Cell .cm-content")
        page.keyboard.press("Control+Enter")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if prompt.inner_text().strip() not in ("[ ]:", ""):
                return
            time.sleep(0.2)
    raise AssertionError("JupyterLab did not run the cell.")


def wait_for_labels(portal, platform, session_id: int, paths: list[str], wanted: str) -> None:
    """Until the platform has label ``wanted`` on every one of ``paths`` (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        labels = platform_labels(portal, platform, session_id)
        if all(labels[p] == wanted for p in paths):
            return
        assert time.monotonic() < deadline, {p: labels[p] for p in paths}
        time.sleep(0.3)


def test_lasso_and_a_class_key_in_jupyterlab_label_on_the_platform(
    platform, widget_session, jupyterlab, tmp_path
):
    from playwright.sync_api import sync_playwright

    portal, _session_id, _token = widget_session
    url, token, session_id = jupyterlab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        said: list[str] = []  # the browser's console and errors, for a failure's report
        page.on("console", lambda m: said.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: said.append(f"error: {e}"))
        try:
            page.goto(f"{url}/lab/tree/label.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=60_000)
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
            )
            run_the_cell(page)
            page.wait_for_selector(".vocloud-label[data-ready='1']", timeout=90_000)
            page.keyboard.press("Control+b")  # the file browser away: room for the panel
            page.wait_for_timeout(500)  # Bokeh fits the plots to the new width
            n_cells = page.locator(".jp-Notebook .jp-Cell").count()
            page.locator(".vocloud-label .label-plot").scroll_into_view_if_needed()
            chosen = lasso(page, 0.5)
            assert len(chosen) >= 3, chosen
            page.wait_for_function(
                "n => document.querySelector('.vocloud-label #selection-count')"
                ".textContent === String(n)",
                arg=len(chosen),
            )
            paths = page.evaluate(
                "ix => ix.map((i) => Bokeh.documents[0].get_model_by_name('points').data.path[i])",
                chosen,
            )
            first_class = page.evaluate(
                "() => document.querySelector('.vocloud-label .label-button').dataset.value"
            )
            page.keyboard.press("1")  # a class key: the notebook's "code cell" key in Lab
            page.keyboard.press("a")  # and the notebook's "insert a cell above": not here
            page.keyboard.press("b")  # the panel's "bad data" key: the notebook's "below"
            page.wait_for_selector(".vocloud-label #message.ok", timeout=30_000)
            wait_for_labels(portal, platform, session_id, paths, "bad data")
            page.keyboard.press("u")  # undo the bad data: the class labels are back
            wait_for_labels(portal, platform, session_id, paths, first_class)
            assert page.locator(".jp-Notebook .jp-Cell").count() == n_cells
            assert page.evaluate(
                "() => document.querySelector('.jp-Cell .cm-content').textContent"
            ).startswith("from vocloud.client")
            page.keyboard.press("ArrowRight")  # the review: a spectrum through the kernel
            page.wait_for_function(
                "() => Bokeh.documents[0].get_model_by_name('spectrum').data.wave.length > 10"
            )
            page.evaluate("() => document.querySelector('.vocloud-label').scrollIntoView()")
            page.wait_for_timeout(300)  # Bokeh redraws after the scroll
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
            # The kernel has the selection too: panel.selected, kept up to date by the plot.
            page.click(".jp-Notebook .jp-Cell .cm-content")  # the notebook has the keys again
            page.keyboard.press("Escape")
            page.keyboard.press("b")  # a new cell below
            page.keyboard.press("Enter")
            page.keyboard.type("print(len(panel.selected), min(panel.selected))")
            page.keyboard.press("Control+Enter")
            page.wait_for_function(
                "wanted => Array.from(document.querySelectorAll('.jp-OutputArea-output pre'))"
                ".some((pre) => pre.textContent.trim() === wanted)",
                arg=f"{len(paths)} {min(paths)}",
                timeout=30_000,
            )
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            print("\n".join(said[-40:]))
            print(
                "message:",
                page.evaluate(
                    "() => (document.querySelector('.vocloud-label #message') || {}).textContent"
                ),
            )
            print(f"screenshot: {tmp_path / 'failure.png'}")
            raise
        finally:
            browser.close()
