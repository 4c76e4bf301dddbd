"""Personas and platform fixtures.

alice owns things, bob is another ordinary user who must never see them, staff is an
administrator (who still does not see other people's jobs through the UWS API).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from tests.support.labelling_round import labelling, round_outputs  # noqa: F401 (fixtures)
from tests.support.platform import PASSWORDS, Platform, free_port, prepare, shared_dir


def pytest_configure(config):
    # One directory for the whole run, made before pytest-xdist starts its workers (they
    # inherit the variable): the platforms' template data dir and numba's cache.
    if not os.environ.get("VOCLOUD_TEST_SHARED_DIR"):
        config.vocloud_shared_dir = tempfile.mkdtemp(prefix="vocloud-tests-")
        os.environ["VOCLOUD_TEST_SHARED_DIR"] = config.vocloud_shared_dir
    # In-process projections use the same numba cache as the platforms' workers.
    os.environ.setdefault("NUMBA_CACHE_DIR", str(shared_dir() / "numba"))


def pytest_unconfigure(config):
    made = getattr(config, "vocloud_shared_dir", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop("VOCLOUD_TEST_SHARED_DIR", None)


# A real SAMP hub with the Web Profile and a recording client: samp_hub, samp_receiver,
# no_samp_hub (tests/support/samp_hub.py says how to use them).
# PostgreSQL and Redis started from Debian's packages: own_postgres, own_redis, pg_platform
# (tests/support/own_services.py).
pytest_plugins = ["tests.support.samp_hub", "tests.support.own_services"]


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password=PASSWORDS["alice"])


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password=PASSWORDS["bob"])


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", password=PASSWORDS["staff"])


@pytest.fixture(autouse=True)
def isolated_data_dir(settings, tmp_path):
    """Job files and user storage of in-process tests go to a temporary directory."""
    settings.DATA_DIR = tmp_path / "data"
    settings.VOCLOUD_JOBS_DIR = tmp_path / "data" / "jobs"


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    """The whole platform (broker, web, worker, janitor) as `manage.py serve` runs it."""
    data_dir = tmp_path_factory.mktemp("platform")
    # This one runs projections (labelling rounds): its GPU worker compiles UMAP at start.
    env = prepare(data_dir, VOCLOUD_WARM_PROJECTION="1")
    running = Platform(data_dir, free_port(), env).start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real password checks, with a cheap hash: the personas are created per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def basic(user: str) -> dict[str, str]:
    import base64

    token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.fixture
def completed_job(alice):
    """A COMPLETED selftest job of alice's, with an uploaded attachment and a result file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vocloud.uws import phases, service, storage
    from vocloud.uws.kinds import KINDS
    from vocloud.uws.models import Phase, Result

    job = service.create_job(
        alice,
        KINDS["selftest"],
        {"DURATION": "0", "NOTE": "n"},
        {"ATTACHMENT": SimpleUploadedFile("a.bin", b"\x00\x01payload")},
    )
    for phase in (Phase.QUEUED, Phase.EXECUTING, Phase.COMPLETED):
        assert phases.transition(job, phase)
    path = storage.result_path(job.job_id, "result.vot")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"<VOTABLE/>")
    Result.objects.create(
        job=job,
        result_id="result",
        path="result.vot",
        mime_type="application/x-votable+xml",
        size=10,
    )
    return job


@pytest.fixture
def page(platform):
    """A page in Debian's headless Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM_FLAGS, chromium_path

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        yield context.new_page()
        browser.close()
