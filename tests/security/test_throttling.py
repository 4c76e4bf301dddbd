"""Brute force on the log-in form and on HTTP Basic: refused after a few failures, for that
user name from that address, with HTTP 429 and one sentence saying how long to wait.

Rows: attack (log-ins in turn) -> expected answers. The rows run in-process through the
Django test client (real axes, real DRF, real database); the last test runs against the
running platform (two gunicorn workers sharing the count) with a user name of its own, so
that the personas the other platform tests log in as are never locked.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from datetime import timedelta
from ipaddress import ip_network

import pytest
import requests
from axes.models import AccessAttempt
from django.http import HttpRequest
from django.test import Client
from requests.adapters import HTTPAdapter
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests.support.platform import PASSWORDS, manage
from vocloud.accounts.throttling import client_address

pytestmark = pytest.mark.django_db

LIMIT = 3  # failures of one name from one address
ADDRESS_LIMIT = 8  # failures from one address, whatever the names
SENTENCE = re.compile(r"Too many failed log-ins: wait \d+ minutes? before you try again\.")
JOBS = "/uws/selftest/async"
FROM = {  # where a step comes from: REMOTE_ADDR
    "A": "192.0.2.1",
    "B": "192.0.2.2",
    "A6": "2001:db8:0:1::1",
    "A6'": "2001:db8:0:1::2",  # the same /64 as A6
    "B6": "2001:db8:0:2::1",
}


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.VOCLOUD_LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.VOCLOUD_TRUSTED_PROXIES = []


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def attempt(step: str, client: Client | None = None, path: str = JOBS, method: str = "get"):
    """One log-in: "<form|basic> <user> <right|wrong> <from> [xff=...] [ua=...]"."""
    channel, user, which, where, *extra = step.split()
    meta = {"REMOTE_ADDR": FROM[where]}
    for item in extra:
        key, value = item.split("=", 1)
        meta[{"xff": "HTTP_X_FORWARDED_FOR", "ua": "HTTP_USER_AGENT"}[key]] = value
    password = PASSWORDS.get(user, "no-such-account") if which == "right" else "not-it"
    client = client or Client()
    if channel == "form":
        return client.post("/accounts/login/", {"username": user, "password": password}, **meta)
    return getattr(client, method)(path, HTTP_AUTHORIZATION=basic_header(user, password), **meta)


def answer(step: str, response) -> str:
    """in (logged in), no (wrong password), locked (429 and the sentence), or what it was."""
    body = response.content.decode(errors="replace")
    assert "Traceback" not in body
    if response.status_code == 429 and SENTENCE.search(body):
        assert 1 <= int(response["Retry-After"]) <= 15 * 60
        if step.startswith("basic"):
            assert response["Content-Type"].startswith("text/plain")
            assert body.startswith("AuthenticationError: Too many failed log-ins")
        else:
            assert 'name="csrfmiddlewaretoken"' in body  # the page still offers the form
        return "locked"
    wanted = {
        "form": {302: "in", 200: "no"},
        "basic": {200: "in", 401: "no"},
    }[step.split()[0]]
    return wanted.get(response.status_code, f"HTTP {response.status_code}: {body[:200]}")


def wrong(channel: str, user: str, where: str, times: int = LIMIT, *extra: str) -> list[str]:
    return [" ".join([channel, user, "wrong", where, *extra])] * times


ROWS = [  # attack: log-ins in turn -> answers
    (
        "guessing a password on the form; then the right one",
        [*wrong("form", "alice", "A"), "form alice right A"],
        ["no", "no", "locked", "locked"],
    ),
    (
        "guessing through HTTP Basic; then the right one",
        [*wrong("basic", "alice", "A"), "basic alice right A"],
        ["no", "no", "locked", "locked"],
    ),
    (
        "form and HTTP Basic share one count",
        ["form alice wrong A", "basic alice wrong A", "form alice wrong A", "basic alice right A"],
        ["no", "no", "locked", "locked"],
    ),
    (
        "another user at the same address goes on",
        [*wrong("basic", "alice", "A"), "form bob right A", "basic bob right A"],
        ["no", "no", "locked", "in", "in"],
    ),
    (
        "the same user from another address goes on",
        [*wrong("form", "alice", "A"), "form alice right B", "basic alice right B"],
        ["no", "no", "locked", "in", "in"],
    ),
    (
        "a name without an account locks the same way (nothing learnt)",
        [*wrong("form", "nobody", "A"), "basic nobody wrong A"],
        ["no", "no", "locked", "locked"],
    ),
    (
        "a forged X-Forwarded-For or a new User-Agent per guess does not escape",
        [
            "basic alice wrong A xff=198.51.100.1 ua=one",
            "basic alice wrong A xff=198.51.100.2 ua=two",
            "basic alice wrong A xff=198.51.100.3 ua=three",
            "basic alice right A xff=198.51.100.4 ua=four",
        ],
        ["no", "no", "locked", "locked"],
    ),
    (
        "an IPv6 client rotating addresses within its /64",
        [
            "form alice wrong A6",
            "form alice wrong A6'",
            "form alice wrong A6",
            "form alice right A6'",
            "form alice right B6",
        ],
        ["no", "no", "locked", "locked", "in"],
    ),
    (
        "a success clears that name's failures at that address",
        [
            *wrong("form", "alice", "A", LIMIT - 1),
            "form alice right A",
            *wrong("basic", "alice", "A", LIMIT - 1),
            "basic alice right A",
            *wrong("form", "alice", "A", LIMIT - 1),
            "basic alice right A",
        ],
        ["no", "no", "in"] * 3,
    ),
    (
        "a right password in the Basic cache does not outlast a lockout",
        [
            "basic alice right A",
            *wrong("basic", "alice", "A"),
            "basic alice right A",
            "basic alice right B",
        ],
        ["in", "no", "no", "locked", "locked", "in"],
    ),
    (
        "spraying one guess over many names from one address",
        [
            *(f"basic user{n} wrong A" for n in range(ADDRESS_LIMIT)),
            "form alice right A",
            "basic bob right A",
            "form alice right B",
        ],
        ["no"] * (ADDRESS_LIMIT - 1) + ["locked"] * 3 + ["in"],
    ),
]


@pytest.mark.parametrize(("attack", "steps", "answers"), ROWS, ids=[r[0] for r in ROWS])
def test_attack_is_refused(attack, steps, answers, alice, bob):
    assert [answer(step, attempt(step)) for step in steps] == answers


def test_after_the_cool_off_the_right_password_works_and_refusals_do_not_prolong_it(
    settings, alice
):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    steps = [*wrong("form", "alice", "A"), *wrong("basic", "alice", "B")]
    assert [answer(s, attempt(s)) for s in steps] == ["no", "no", "locked"] * 2
    time.sleep(1.2)
    # refused guesses during the cool-off write nothing: the wait still ends on time
    assert answer("form alice wrong A", attempt("form alice wrong A")) == "locked"
    assert answer("basic alice wrong B", attempt("basic alice wrong B")) == "locked"
    time.sleep(1.0)
    assert answer("form alice right A", attempt("form alice right A")) == "in"
    assert answer("basic alice right B", attempt("basic alice right B")) == "in"


def test_lockout_answers_are_the_same_for_a_real_and_an_unknown_name(alice):
    def seen(user: str) -> list[tuple]:
        out = []
        for step in [*wrong("form", user, "A"), f"form {user} right A"]:
            response = attempt(step)
            text = re.search(r'<p class="error"[^>]*>([^<]*)</p>', response.content.decode())
            out.append((response.status_code, text and text.group(1)))
        for step in [*wrong("basic", user, "B"), f"basic {user} right B"]:
            response = attempt(step)
            out.append((response.status_code, response["Content-Type"], response.content))
        return out

    assert seen("alice") == seen("nobody")


def test_the_lockout_page_keeps_csrf_and_its_form_works_after_the_wait(settings, alice):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=FROM["A"])
    browser.get("/accounts/login/")

    def post(password: str, token: bool = True):
        data = {"username": "alice", "password": password}
        if token:
            data["csrfmiddlewaretoken"] = browser.cookies["csrftoken"].value
        return browser.post("/accounts/login/", data)

    answers = [post("not-it").status_code for _ in range(LIMIT)]
    page = post(PASSWORDS["alice"])
    assert answers[-1] == page.status_code == 429
    assert SENTENCE.search(page.content.decode())
    assert post(PASSWORDS["alice"], token=False).status_code == 403  # CSRF still checked
    time.sleep(1.1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    response = browser.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORDS["alice"], "csrfmiddlewaretoken": token[1]},
    )
    assert response.status_code == 302


UWS_REQUESTS = [  # every UWS endpoint answers a locked-out client the same way
    ("get", JOBS),
    ("post", JOBS),
    ("get", f"{JOBS}/anyjob"),
    ("get", f"{JOBS}/anyjob/phase"),
    ("post", f"{JOBS}/anyjob/phase"),
    ("get", f"{JOBS}/anyjob/parameters"),
    ("get", f"{JOBS}/anyjob/results/result"),
    ("delete", f"{JOBS}/anyjob"),
    ("get", "/uws/train/async"),
]


@pytest.mark.parametrize(("method", "path"), UWS_REQUESTS)
def test_every_uws_endpoint_answers_429_text(method, path, alice):
    for step in wrong("basic", "alice", "A"):
        attempt(step)
    response = attempt("basic alice right A", path=path, method=method)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/plain")
    assert SENTENCE.search(response.content.decode().removeprefix("AuthenticationError: "))
    assert int(response["Retry-After"]) > 0


def test_other_drf_views_answer_429_with_retry_after(alice):
    class Hello(APIView):
        def get(self, request):
            return Response({"hello": request.user.username})

    for step in wrong("basic", "alice", "A"):
        attempt(step)
    request = APIRequestFactory().get(
        "/hello",
        HTTP_AUTHORIZATION=basic_header("alice", PASSWORDS["alice"]),
        REMOTE_ADDR=FROM["A"],
    )
    response = Hello.as_view()(request)
    assert response.status_code == 429
    assert SENTENCE.search(str(response.data["detail"]))
    assert int(response["Retry-After"]) > 0


def test_a_failed_basic_upload_is_counted_without_reading_its_body(alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = Client().post(
        JOBS,
        {"NOTE": "seen-if-the-body-was-read", "ATTACHMENT": SimpleUploadedFile("a.bin", b"x")},
        HTTP_AUTHORIZATION=basic_header("alice", "not-it"),
        REMOTE_ADDR=FROM["A"],
    )
    assert response.status_code == 401
    record = AccessAttempt.objects.get(username="alice")
    assert record.failures_since_start == 1
    assert "seen-if-the-body-was-read" not in record.post_data


@pytest.mark.parametrize("user", ["a\0b", "x" * 300], ids=["NUL in the name", "300 characters"])
def test_impossible_basic_names_are_a_plain_401(user):
    response = Client().get(JOBS, HTTP_AUTHORIZATION=basic_header(user, "pw"))
    assert response.status_code == 401
    assert response.content.startswith(b"AuthenticationError: ")


ADDRESS_ROWS = [  # REMOTE_ADDR, X-Forwarded-For, trusted proxies -> the address counted
    ("192.0.2.7", "", [], "192.0.2.7"),
    ("192.0.2.7", "198.51.100.1", [], "192.0.2.7"),  # a client's own header: ignored
    ("127.0.0.1", "198.51.100.1", [], "127.0.0.1"),  # a proxy nobody configured: ignored
    ("127.0.0.1", "198.51.100.1", ["127.0.0.1", "::1"], "198.51.100.1"),  # nginx on the host
    ("127.0.0.1", "6.6.6.6, 198.51.100.1", ["127.0.0.1"], "198.51.100.1"),  # forged hop, left
    ("10.0.0.2", "198.51.100.1, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.1"),  # two proxies
    ("127.0.0.1", "not-an-address", ["127.0.0.1"], "127.0.0.1"),
    ("127.0.0.1", "", ["127.0.0.1"], "127.0.0.1"),
    ("2001:db8:1:2:3:4:5:6", "", [], "2001:db8:1:2::"),  # an IPv6 client is its /64
    ("::ffff:192.0.2.7", "", [], "192.0.2.7"),
    ("", "", [], None),
]


@pytest.mark.parametrize(("remote", "forwarded", "trusted", "counted"), ADDRESS_ROWS)
def test_client_address(settings, remote, forwarded, trusted, counted):
    settings.VOCLOUD_TRUSTED_PROXIES = [ip_network(p) for p in trusted]
    request = HttpRequest()
    request.META = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(request) == counted


def test_behind_a_trusted_proxy_each_client_has_its_own_count(settings, alice):
    settings.VOCLOUD_TRUSTED_PROXIES = [ip_network("192.0.2.1/32")]  # "A" is the proxy
    steps = [*wrong("form", "alice", "A", LIMIT, "xff=198.51.100.1"), "form alice right A"]
    steps += ["form alice right A xff=198.51.100.1", "form alice right A xff=198.51.100.2"]
    assert [answer(s, attempt(s)) for s in steps] == ["no", "no", "locked", "in", "locked", "in"]


# --- the running platform ----------------------------------------------------------------


class FromAddress(HTTPAdapter):
    """Connect from another loopback address: a second client as the server sees it."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def form_login(platform, user: str, password: str, source: str | None = None):
    session = requests.Session()
    if source:
        session.mount("http://", FromAddress(source))
    session.get(f"{platform.url}/accounts/login/", timeout=10).raise_for_status()
    return session.post(
        f"{platform.url}/accounts/login/",
        data={
            "username": user,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=10,
        allow_redirects=False,
    )


@pytest.mark.platform
def test_on_the_platform_a_guessed_name_is_locked_for_that_address_only(platform):
    # A name of this test's own: the shared platform's personas must never be locked.
    name, password = f"throttled-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    manage(platform.env, "ensure_user", name, password)
    limit = 5  # VOCLOUD_LOGIN_FAILURE_LIMIT's default: the platform sets none

    guesses = [form_login(platform, name, "not-it").status_code for _ in range(limit - 2)]
    basic = requests.Session()
    basic.auth = (name, "not-it")
    guesses += [basic.get(platform.jobs_url(), timeout=10).status_code for _ in range(2)]
    assert guesses == [200] * (limit - 2) + [401, 429]  # one count over both web workers

    basic.auth = (name, password)
    locked = basic.get(platform.jobs_url(), timeout=10)
    assert locked.status_code == 429
    assert locked.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(f"AuthenticationError: {SENTENCE.pattern}\n", locked.text)
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    page = form_login(platform, name, password)
    assert page.status_code == 429 and SENTENCE.search(page.text)
    assert "Traceback" not in page.text and 'name="csrfmiddlewaretoken"' in page.text

    elsewhere = requests.Session()
    elsewhere.mount("http://", FromAddress("127.0.0.2"))
    elsewhere.auth = (name, password)
    assert elsewhere.get(platform.jobs_url(), timeout=10).status_code == 200
    assert form_login(platform, name, password, source="127.0.0.2").status_code == 302
    assert platform.session("alice").get(platform.jobs_url(), timeout=10).status_code == 200
