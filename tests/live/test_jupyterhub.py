"""JupyterHub beside the platform (deploy/jupyterhub), the platform as its identity provider.

A real JupyterHub started by deploy/jupyterhub/start.sh (which registers the hub with
``manage.py jupyterhub_client``) with deploy/jupyterhub/jupyterhub_config.py, the Python
proxy and local single-user servers, against the session platform. A requests session, and
once Chromium, walk the log-in: hub → /o/authorize → the portal's log-in form → the hub's
callback → spawn.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.nginx import check_site
from tests.support.platform import PASSWORDS, ROOT, free_port, manage

pytestmark = pytest.mark.platform
START = ROOT / "deploy" / "jupyterhub" / "start.sh"  # registers the client, starts the hub

# Test-only: the user's server starts through this, which prints what the hub put in its
# environment and what it can see from inside its sandbox (into the hub's log), then becomes
# the real single-user server.
ENV_NOTE = """\
import glob, json, os, sys
keep = ("VOCLOUD_URL", "VOCLOUD_TOKEN", "JUPYTERHUB_ROOT_DIR", "JUPYTERHUB_USER")
note = {key: os.environ.get(key) for key in keep}
data = {data_dir!r}
note["data_dir"] = sorted(os.listdir(data))
note["users"] = sorted(glob.glob(os.path.join(data, "users", "*", "files", "*")))
note["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
secrets = ("secret_key", "vocloud.sqlite3")
note["secrets"] = [n for n in secrets if os.path.exists(os.path.join(data, n))]
try:
    open(os.path.join({repo!r}, "sandbox-was-here"), "w").close()
    note["repo_writable"] = True
except OSError:
    note["repo_writable"] = False
print("VOCLOUD-NOTE " + json.dumps(note), flush=True)
# This sandbox may run the tests as root, as a deployment never should.
root = ["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []
os.execv(sys.executable, [sys.executable, "-m", "jupyterhub.singleuser", *sys.argv[1:], *root])
"""


@dataclass
class Hub:
    url: str
    process: subprocess.Popen
    log: Path

    def environment_of(self, user: str) -> dict:
        """What ``user``'s server printed of its environment and sandbox (the last start)."""
        notes = [
            json.loads(line.split(" ", 1)[1])
            for line in self.log.read_text(errors="replace").splitlines()
            if line.startswith("VOCLOUD-NOTE ")
        ]
        return [n for n in notes if n["JUPYTERHUB_USER"] == user][-1]


def user_id(platform, name: str) -> int:
    with sqlite3.connect(f"file:{platform.data_dir / 'vocloud.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute("SELECT id FROM auth_user WHERE username = ?", (name,)).fetchone()[0]


@pytest.fixture(scope="module")
def hub(platform, tmp_path_factory):
    state = tmp_path_factory.mktemp("jupyterhub")
    # Inline (python -c): the sandbox's /tmp is its own, so no file of the test's is there.
    note = ENV_NOTE.replace("{data_dir!r}", repr(str(platform.data_dir.resolve())))
    wrapper = f"-c {shlex.quote(note.replace('{repo!r}', repr(str(ROOT))))}"
    url = f"http://127.0.0.1:{free_port()}"
    # The platform's settings (its key, data directory) for manage.py jupyterhub_client,
    # which start.sh runs to register the hub; the rest is what README tells a person to set.
    env = {k: v for k, v in platform.env.items() if not k.startswith("JUPYTERHUB_")}
    env.update(
        VOCLOUD_URL=platform.url,
        JUPYTERHUB_BIND_URL=url,
        JUPYTERHUB_STATE_DIR=str(state / "state"),
        JUPYTERHUB_HUB_PORT=str(free_port()),
        JUPYTERHUB_PROXY_API_PORT=str(free_port()),
        JUPYTERHUB_SINGLEUSER=f"{sys.executable} {wrapper}",
    )
    log = state / "jupyterhub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(START)],
            env=env,
            cwd=state,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the hub, its proxy and the users' servers: one group
        )
    running = Hub(url, process, log)
    try:
        wait_for(lambda: _answers(f"{url}/hub/api"), 90, running, "the hub did not start")
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_for(predicate, timeout: float, hub: Hub, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise AssertionError(f"the hub exited: {hub.log.read_text()[-3000:]}")
        found = predicate()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{message}: {hub.log.read_text()[-3000:]}")


def log_in(
    hub: Hub, platform, user: str, password: str
) -> tuple[requests.Session, requests.Response]:
    """Walk the hub's log-in as a browser: the answer is where the last redirect led."""
    browser = requests.Session()
    form = browser.get(f"{hub.url}/hub/oauth_login", timeout=30)
    assert form.url.startswith(f"{platform.url}/accounts/login/"), form.url
    assert 'name="password"' in form.text
    answer = browser.post(
        f"{platform.url}/accounts/login/",
        data={
            "username": user,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", domain="127.0.0.1"),
            "next": parse_qs(urlsplit(form.url).query)["next"][0],
        },
        headers={"Referer": form.url},
        timeout=60,
    )
    return browser, answer


@pytest.fixture(scope="module")
def alice_at_hub(hub, platform):
    """alice, logged in to the hub through the platform, with her server running."""
    files = platform.data_dir / "users" / str(user_id(platform, "alice")) / "files"
    files.mkdir(parents=True, exist_ok=True)
    (files / "from-the-portal.txt").write_text("spectra live here\n")
    bobs = platform.data_dir / "users" / str(user_id(platform, "bob")) / "files"
    bobs.mkdir(parents=True, exist_ok=True)
    (bobs / "bobs-secret.txt").write_text("not for alice\n")
    browser, answer = log_in(hub, platform, "alice", PASSWORDS["alice"])
    assert answer.url.startswith(f"{hub.url}/"), answer.url
    assert browser.get(f"{hub.url}/hub/api/user", timeout=10).json()["name"] == "alice"

    def server_ready():
        # A page of the server: the first visit completes the server's own log-in at the hub.
        page = browser.get(f"{hub.url}/user/alice/lab", timeout=30)
        return page.status_code == 200 and urlsplit(page.url).path.startswith("/user/alice/")

    wait_for(server_ready, 90, hub, "alice's server did not start")
    return browser


def test_the_file_browser_shows_the_users_vocloud_storage(hub, alice_at_hub):
    listing = alice_at_hub.get(f"{hub.url}/user/alice/api/contents", timeout=30)
    assert listing.status_code == 200, listing.text[:300]
    assert "from-the-portal.txt" in {item["name"] for item in listing.json()["content"]}
    file = alice_at_hub.get(
        f"{hub.url}/user/alice/api/contents/from-the-portal.txt", timeout=30
    ).json()
    assert file["content"] == "spectra live here\n"


def test_the_server_gets_the_platform_address_and_a_token_of_its_users(
    hub, alice_at_hub, platform, monkeypatch
):
    from vocloud.client import Client, VocloudError

    environment = hub.environment_of("alice")
    assert environment["VOCLOUD_URL"] == platform.url
    assert environment["JUPYTERHUB_ROOT_DIR"].endswith(f"/users/{user_id(platform, 'alice')}/files")
    token = environment["VOCLOUD_TOKEN"]
    created = platform.session("bob").post(platform.jobs_url(), data={"DURATION": "0"})
    bobs_job = created.url
    mine = platform.session("alice").post(platform.jobs_url(), data={"DURATION": "0"}).url

    monkeypatch.setenv("VOCLOUD_URL", environment["VOCLOUD_URL"])
    monkeypatch.setenv("VOCLOUD_TOKEN", token)
    notebook = Client()  # as a notebook on the hub makes it: no arguments
    listing = notebook.request("GET", "/uws/selftest/async").text
    assert mine.rsplit("/", 1)[1] in listing
    assert bobs_job.rsplit("/", 1)[1] not in listing
    with pytest.raises(VocloudError) as refused:
        notebook.request("GET", bobs_job)
    assert refused.value.status == 404
    bearer = requests.get(mine, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert bearer.status_code == 200


def test_a_users_server_sees_its_own_storage_and_nothing_else_of_the_platform(
    hub, alice_at_hub, platform
):
    """Seen from inside alice's running server (its sandbox): her files, not bob's, not the
    database, no process of the platform's, nothing of the host writable."""
    inside = hub.environment_of("alice")
    files = platform.data_dir.resolve() / "users" / str(user_id(platform, "alice")) / "files"
    assert str(files / "from-the-portal.txt") in inside["users"]
    assert all(p.startswith(f"{files}/") for p in inside["users"]), inside["users"]
    assert inside["data_dir"] == ["users"] and inside["secrets"] == []
    assert not inside["repo_writable"]
    assert len(inside["pids"]) < 5, inside["pids"]  # its own process namespace
    assert not (ROOT / "sandbox-was-here").exists()


def test_a_wrong_password_never_reaches_the_hub(hub, platform):
    browser, answer = log_in(hub, platform, "alice", "not-" + PASSWORDS["alice"])
    assert answer.url.startswith(f"{platform.url}/accounts/login/")
    assert "did not match" in answer.text
    assert browser.get(f"{hub.url}/hub/api/user", timeout=10).status_code == 403


def test_someone_without_a_platform_account_cannot_log_in(hub, platform):
    browser, answer = log_in(hub, platform, "mallory", "anything-at-all")
    assert answer.url.startswith(f"{platform.url}/accounts/login/")
    assert browser.get(f"{hub.url}/hub/api/user", timeout=10).status_code == 403
    home = browser.get(f"{hub.url}/hub/home", timeout=10)
    assert not home.url.startswith(f"{hub.url}/hub/home")


def test_a_name_that_differs_only_in_case_does_not_get_anothers_server(hub, platform, alice_at_hub):
    """The hub lower-cases names; vocloud's ``Alice`` is not ``alice``."""
    manage(platform.env, "ensure_user", "Alice", "another-person-9")
    browser, answer = log_in(hub, platform, "Alice", "another-person-9")
    assert answer.status_code == 403 and "another vocloud account" in answer.text
    assert browser.get(f"{hub.url}/hub/api/user", timeout=10).status_code == 403
    assert browser.get(f"{hub.url}/user/alice/api/contents", timeout=10).status_code != 200


def test_nginx_accepts_the_hub_site(tmp_path):
    site = (ROOT / "deploy" / "nginx" / "jupyterhub.conf").read_text()
    check_site(site, "/etc/ssl/certs/jupyterhub.pem", "/etc/ssl/private/jupyterhub.key", tmp_path)


def test_a_browser_logs_in_through_the_portal_page_and_lands_in_jupyterlab(hub, platform, page):
    """Chromium enforces what requests does not: the log-in page's CSP across redirects."""
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security" in message.text else None
        ),
    )
    page.goto(f"{hub.url}/hub/oauth_login")
    assert page.url.startswith(f"{platform.url}/accounts/login/")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", PASSWORDS["bob"])
    page.click("button[type=submit]")
    deadline = time.monotonic() + 60
    while not blocked and not page.url.startswith(f"{hub.url}/user/bob/lab"):
        assert time.monotonic() < deadline, f"stopped at {page.url}"
        page.wait_for_timeout(200)
    assert not blocked, blocked
    assert "JupyterLab" in page.title()
