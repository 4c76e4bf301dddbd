"""The platform is not a port scanner: every fetch goes through one policy.

Rows: attack (a URL an ordinary user hands to ``ingest``) -> expected refusal, each read
from the report of one real ingest job on the running platform; the SSAP preview of the
portal (inside the web process) is attacked the same way. The platform allows only the
tests' stand-in archives (127.0.0.2, ``VOCLOUD_FETCH_ALLOW``): its own port on 127.0.0.1,
its broker, the database, private and link-local addresses must all be refused.
"""

from __future__ import annotations

import io
import re
import time

import pytest
from astropy.io.votable import parse_single_table

from tests.security.conftest import REAL_FITS
from tests.support.hostile import HostileHttp
from tests.support.platform import run_job

pytestmark = pytest.mark.platform

# attack -> the URL ({port}: the platform's web port, {hostile}: the hostile archive) -> what
# the report must say
ROWS = [
    ("the platform's own web port", "http://127.0.0.1:{port}/health", "loopback"),
    ("its web port by name", "http://localhost:{port}/health", "loopback"),
    ("its port as IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]:{port}/", "loopback"),
    ("its port as a decimal address", "http://2130706433:{port}/health", "loopback"),
    ("a database port", "http://127.0.0.1:5432/", "loopback"),
    ("the unspecified address", "http://0.0.0.0:{port}/health", "unspecified"),
    ("cloud metadata", "http://169.254.169.254/latest/meta-data/", "link-local"),
    ("a private network", "http://10.0.0.1/x.fits", "private"),
    ("another private network", "http://192.168.0.1/x.fits", "private"),
    ("FTP to the platform", "ftp://127.0.0.1:{port}/x.fits", "loopback"),
    (
        "a redirect to the platform",
        "{hostile}/redirect?to=http://127.0.0.1:{port}/health",
        "loopback",
    ),
    ("a redirect to metadata", "{hostile}/redirect?to=http://169.254.169.254/", "link-local"),
    ("a redirect to a file URL", "{hostile}/redirect?to=file:///etc/passwd", "unsupported"),
    ("an error page with a banner", "{hostile}/error-page", "HTTP 403 Forbidden"),
    # refused before issue 11 too (every row above failed on 363bb2a, checked): kept as
    # regression rows
    ("held before: a file URL", "file:///etc/passwd", "unsupported"),
    ("held before: a gopher URL", "gopher://127.0.0.1:6379/_INFO", "unsupported"),
]
NEVER_SHOWN = ("SECRET-BANNER", "redis_version", '"ok"', "Traceback", "/tmp/", "/work/")


@pytest.fixture(scope="module")
def hostile():
    with HostileHttp(REAL_FITS[0].read_bytes()) as server:
        yield server


@pytest.fixture(scope="module")
def report(platform, hostile) -> dict[str, str]:
    """One ingest job over every row's URL (plus one good file, so that it completes)."""
    urls = [url_of(pattern, platform, hostile) for _attack, pattern, _said in ROWS]
    listing = "\n".join([*urls, f"{hostile.url}/good.fits"]) + "\n"
    alice = platform.session("alice")
    job = run_job(
        alice,
        platform,
        "ingest",
        files={"URL_LIST": ("urls.txt", listing.encode())},
        TARGET="ssrf",
        RETRIES="0",
    )
    table = parse_single_table(io.BytesIO(alice.get(f"{job.url}/results/result").content))
    return {str(row["source"]): str(row["reason"]) for row in table.array}


def url_of(pattern: str, platform, hostile) -> str:
    return pattern.format(port=platform.port, hostile=hostile.url)


@pytest.mark.parametrize(("attack", "pattern", "said"), ROWS, ids=[row[0] for row in ROWS])
def test_ingest_refuses(platform, hostile, report, attack, pattern, said):
    reason = report[url_of(pattern, platform, hostile)]
    assert said in reason, reason
    assert not any(secret in reason for secret in NEVER_SHOWN), reason


def test_the_good_file_of_the_same_job_was_stored(platform, hostile, report):
    assert report[f"{hostile.url}/good.fits"] == ""


SOURCES = [  # attack: a VO source pointing inside -> refused before any byte is sent
    ("VOTABLE_URL at the platform", "VOTABLE_URL", lambda p: f"http://127.0.0.1:{p.port}/health"),
    ("SSAP_URL at the platform", "SSAP_URL", lambda p: f"http://127.0.0.1:{p.port}/uws/"),
    ("SSAP_URL at metadata", "SSAP_URL", lambda p: "http://169.254.169.254/ssap"),
]


@pytest.mark.parametrize(("attack", "name", "make"), SOURCES, ids=[s[0] for s in SOURCES])
def test_vo_sources_inside_are_refused(platform, attack, name, make):
    alice = platform.session("alice")
    created = alice.post(platform.jobs_url("ingest"), data={name: make(platform), "PHASE": "RUN"})
    job = created.url
    deadline = time.monotonic() + 60
    while alice.get(f"{job}/phase").text not in ("ERROR", "COMPLETED"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    error = alice.get(f"{job}/error").text
    assert "refused to connect" in error, error
    assert not any(secret in error for secret in NEVER_SHOWN), error


def test_the_portal_ssap_preview_refuses_inside_addresses_at_once(platform):
    browser = platform.portal_session("bob")
    page = f"{platform.url}/ssap/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(page).text)
    start = time.monotonic()
    answer = browser.post(
        page,
        data={
            "csrfmiddlewaretoken": token.group(1),
            "ssap_url": f"http://127.0.0.1:{platform.port}/health",
            "maxrec": 5,
            "preview": "1",
        },
        headers={"Referer": page},
    )
    assert answer.status_code == 200
    assert "refused to connect to 127.0.0.1" in answer.text
    assert time.monotonic() - start < 5
