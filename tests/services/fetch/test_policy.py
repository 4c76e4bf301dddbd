"""The outbound-fetch policy against real servers: addresses, redirects, caps, deadlines."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from services.fetch import (
    FetchError,
    FetchOptions,
    FetchPolicy,
    GuardedSession,
    Refused,
    crawl_ftp,
    crawl_http,
    download,
    fetch_document,
    parse_allow,
)
from services.fetch.guard import iter_body
from services.fetch.policy import why_internal
from tests.services.ingest.conftest import REAL
from tests.support.hostile import HostileFtp, HostileHttp
from tests.support.remote import REMOTE_HOST, TEST_POLICY

FITS = REAL[0].read_bytes()


@pytest.fixture(scope="module")
def hostile():
    with HostileHttp(FITS) as server:
        yield server


INTERNAL = [  # address -> why it is refused
    ("127.0.0.1", "loopback"),
    ("127.0.0.2", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "public"),  # shared address space (CGNAT)
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "private"),  # Python files 240/4 under private
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fd00::1", "private"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
]


@pytest.mark.parametrize(("address", "why"), INTERNAL)
def test_internal_addresses_are_refused(address, why):
    assert why in why_internal(ipaddress.ip_address(address))
    with pytest.raises(Refused, match="refused to connect"):
        FetchPolicy().addresses(address, 80)


@pytest.mark.parametrize("address", ["8.8.8.8", "193.147.0.1", "2001:4860:4860::8888"])
def test_public_addresses_pass(address):
    assert why_internal(ipaddress.ip_address(address)) == ""
    assert FetchPolicy().addresses(address, 80)


def test_allow_rules_admit_networks_and_ports():
    rules = parse_allow("127.0.0.2, 10.1.0.0/16; 192.168.1.5:8443, [fd00::1]:8080")
    policy = FetchPolicy(allow=rules)
    assert policy.addresses("127.0.0.2", 1234)
    assert policy.addresses("10.1.200.3", 80)
    assert policy.addresses("192.168.1.5", 8443)
    assert policy.addresses("fd00::1", 8080)
    for host, port in [("127.0.0.1", 80), ("10.2.0.1", 80), ("192.168.1.5", 22), ("fd00::1", 22)]:
        with pytest.raises(Refused):
            policy.addresses(host, port)
    with pytest.raises(ValueError, match="not an IP address"):
        parse_allow("localhost")


def resolver_of(answers: dict[str, list[str]], calls: list[str] | None = None):
    """A DNS stand-in: host -> its addresses (the policy is given it, like a real resolver)."""

    def resolve(host, port, type=0):
        if calls is not None:
            calls.append(host)
        if host not in answers:
            raise socket.gaierror("unknown host")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in answers[host]
        ]

    return resolve


def test_a_name_is_resolved_once_checked_and_connected_to(hostile):
    """No rebinding: the connection goes to the address that was checked."""
    calls: list[str] = []
    port = hostile.url.rsplit(":", 1)[1]
    policy = FetchPolicy(
        allow=parse_allow(REMOTE_HOST),
        resolver=resolver_of({"archive.test": [REMOTE_HOST]}, calls),
    )
    with GuardedSession(policy) as session:
        response = session.get(f"http://archive.test:{port}/a.fits")
    assert response.status_code == 200 and response.content.startswith(b"SIMPLE  =")
    assert calls == ["archive.test"]


def test_a_name_with_one_internal_address_is_refused_as_a_whole():
    policy = FetchPolicy(resolver=resolver_of({"mixed.test": ["93.184.216.34", "10.0.0.7"]}))
    with GuardedSession(policy) as session, pytest.raises(Refused, match="private address"):
        session.get("http://mixed.test/x.fits")


def test_a_name_that_does_not_resolve_is_one_sentence():
    policy = FetchPolicy(resolver=resolver_of({}))
    with GuardedSession(policy) as session, pytest.raises(Refused, match="could not be resolved"):
        session.get("http://nowhere.test/x.fits")


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:9/", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"],
)
def test_every_redirect_hop_is_checked(hostile, target):
    with GuardedSession(TEST_POLICY) as session, pytest.raises(FetchError) as caught:
        session.get(f"{hostile.url}/redirect", params={"to": target})
    assert "refused" in str(caught.value) or "unsupported" in str(caught.value)


def test_redirect_loops_end(hostile):
    with GuardedSession(TEST_POLICY) as session, pytest.raises(FetchError, match="redirects"):
        session.get(f"{hostile.url}/loop")


def test_a_trickling_server_is_cut_at_the_deadline(hostile):
    policy = FetchPolicy(allow=TEST_POLICY.allow, deadline_s=1.5)
    start = time.monotonic()
    with (
        GuardedSession(policy, read_timeout=30) as session,
        pytest.raises(FetchError, match=r"took longer than 1\.5 s"),
    ):
        response = session.get(f"{hostile.url}/trickle", stream=True)
        b"".join(iter_body(response))
    assert time.monotonic() - start < 5


def test_a_download_from_a_trickling_server_ends_in_time(hostile, tmp_path):
    policy = FetchPolicy(allow=TEST_POLICY.allow, deadline_s=1.5)
    options = FetchOptions(policy=policy, read_timeout=30, retries=2, backoff=0.01)
    start = time.monotonic()
    outcome = download(f"{hostile.url}/trickle", tmp_path, options)
    assert "took longer than" in outcome.error and outcome.attempts == 1  # never retried
    assert time.monotonic() - start < 5
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("path", ["/endless", "/gzip-bomb"])
def test_documents_are_capped_in_memory(hostile, path):
    policy = FetchPolicy(allow=TEST_POLICY.allow, max_document_bytes=2 * 1024**2)
    with GuardedSession(policy) as session, pytest.raises(FetchError, match="larger than 2 MB"):
        fetch_document(session, f"{hostile.url}{path}")


def test_downloads_are_capped_on_disk(hostile, tmp_path):
    options = FetchOptions(policy=TEST_POLICY, max_bytes=1024**2)
    outcome = download(f"{hostile.url}/gzip-bomb", tmp_path, options)
    assert "larger than 1 MB" in outcome.error
    assert not list(tmp_path.iterdir())


def test_an_endless_listing_page_is_capped(hostile):
    policy = FetchPolicy(allow=TEST_POLICY.allow, max_document_bytes=1024**2)
    options = FetchOptions(policy=policy)
    with GuardedSession(policy) as session, pytest.raises(FetchError, match="larger than"):
        crawl_http(f"{hostile.url}/endless?type=text/html", 0, options, session)


def test_error_bodies_are_not_shown(hostile, tmp_path):
    outcome = download(f"{hostile.url}/error-page", tmp_path, FetchOptions(policy=TEST_POLICY))
    assert outcome.error == "HTTP 403 Forbidden"


def test_the_environment_cannot_add_a_proxy(hostile, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    with GuardedSession(TEST_POLICY) as session:
        assert session.get(f"{hostile.url}/a.fits").content.startswith(b"SIMPLE  =")


def test_ftp_to_an_internal_address_is_refused(tmp_path):
    options = FetchOptions(policy=TEST_POLICY, retries=0)
    outcome = download("ftp://127.0.0.1:21/x.fits", tmp_path, options)
    assert "refused to connect" in outcome.error and "loopback" in outcome.error
    with pytest.raises(FetchError, match="private address"):
        crawl_ftp("ftp://10.0.0.1/pub/", 1, options)


def test_ftp_listing_names_never_become_paths(tmp_path):
    options = FetchOptions(policy=TEST_POLICY, retries=0)
    (tmp_path / "pub").mkdir()
    with HostileFtp(tmp_path, FITS) as server:
        found = crawl_ftp(server.url + "/pub/", 2, options)
        assert [url.rsplit("/", 1)[1] for url in found] == ["plain-ftp.fits"]
        outcome = download(found[0], tmp_path / "got", options)
    assert outcome.ok and outcome.path.parent == tmp_path / "got"
