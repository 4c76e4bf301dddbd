"""Downloads, listings and FTP against real servers on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from services.fetch import (
    FetchOptions,
    crawl_ftp,
    crawl_http,
    download,
    download_all,
    make_session,
    read_url_list,
)
from services.fetch.listing import index_links
from tests.support.ftp_server import FtpServer
from tests.support.remote import TEST_POLICY

FAST = FetchOptions(policy=TEST_POLICY, connect_timeout=2, read_timeout=2, retries=0, backoff=0.01)


def names(urls: list[str]) -> list[str]:
    return sorted(u.rsplit("/", 1)[1] for u in urls)


def test_index_links_skip_sort_links_parent_and_other_hosts():
    page = """<a href="?C=N;O=D">Name</a><a href="/data/">Parent Directory</a>
    <a href="a.fits">a</a><a href="sub/">sub/</a><a href="http://other.org/x.fits">x</a>
    <a href="a.fits#top">again</a><a href="../b.fits">up</a>"""
    files, dirs = index_links(page, "http://h/data/set/", "http://h/data/set/")
    assert files == ["http://h/data/set/a.fits"]
    assert dirs == ["http://h/data/set/sub/"]


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_http_listing_is_crawled_to_the_chosen_depth(static_server, tree, depth):
    with make_session(FAST) as session:
        found = crawl_http(static_server.url + "/", depth, FAST, session)
    expected = [
        p for p in tree.rglob("*") if p.is_file() and len(p.relative_to(tree).parts) <= depth + 1
    ]
    assert names(found) == sorted(p.name for p in expected)
    assert len(found) == depth + 2
    assert all(u.startswith(static_server.url + "/") for u in found)


def test_crawl_stays_under_the_start_url(static_server):
    with make_session(FAST) as session:
        found = crawl_http(static_server.url + "/sub", 5, FAST, session)
    assert all("/sub/" in u for u in found) and len(found) == 2


@pytest.mark.parametrize("mlsd", [True, False], ids=["mlsd", "nlst-fallback"])
def test_ftp_tree_is_listed_recursively(tree, mlsd):
    with FtpServer(tree, mlsd=mlsd) as server:
        assert len(crawl_ftp(server.url + "/", 0, FAST)) == 2
        found = crawl_ftp(server.url + "/", 3, FAST)
    assert len(found) == 4 and any("/sub/deeper/" in u for u in found)


def test_ftp_file_downloads(ftp_server, tmp_path, tree):
    top = next(tree.glob("*.fits"))
    outcome = download(f"{ftp_server.url}/{top.name}", tmp_path, FAST)
    assert outcome.ok, outcome.error
    assert outcome.path.read_bytes() == top.read_bytes()


def test_ftp_missing_file_fails_without_retries(ftp_server, tmp_path):
    outcome = download(
        ftp_server.url + "/nope.fits", tmp_path, FetchOptions(policy=TEST_POLICY, retries=3)
    )
    assert not outcome.ok and "550" in outcome.error and outcome.attempts == 1


def test_url_list_ignores_blank_lines_and_comments(tmp_path):
    listing = tmp_path / "urls.txt"
    listing.write_text("# my spectra\n\nhttp://a/x.fits\n  ftp://b/y.fits  # mirror\n#http://c\n")
    assert read_url_list(listing) == ["http://a/x.fits", "ftp://b/y.fits"]


def test_server_error_is_retried_until_it_succeeds(small_vo_server, tmp_path, real):
    name = real[-1].name
    small_vo_server.faults[name] = "flaky"
    small_vo_server.flaky_failures = 2
    options = FetchOptions(policy=TEST_POLICY, retries=2, backoff=0.01)
    outcome = download(small_vo_server.data_url(name), tmp_path, options)
    assert outcome.ok and outcome.attempts == 3
    assert outcome.path.read_bytes() == real[-1].path.read_bytes()


def test_retries_run_out(small_vo_server, tmp_path, real):
    small_vo_server.faults[real[-1].name] = "flaky"
    small_vo_server.flaky_failures = 5
    outcome = download(
        small_vo_server.data_url(real[-1].name),
        tmp_path,
        FetchOptions(policy=TEST_POLICY, retries=1, backoff=0.01),
    )
    assert not outcome.ok and "HTTP 500" in outcome.error and outcome.attempts == 2


def test_client_error_is_not_retried(small_vo_server, tmp_path):
    outcome = download(
        small_vo_server.url + "/data/missing.fits",
        tmp_path,
        FetchOptions(policy=TEST_POLICY, retries=3),
    )
    assert outcome.error.startswith("HTTP 404") and outcome.attempts == 1


def test_stalled_server_times_out(small_vo_server, tmp_path, real):
    small_vo_server.faults[real[0].name] = "stall"
    options = FetchOptions(
        policy=TEST_POLICY, connect_timeout=1, read_timeout=0.3, retries=1, backoff=0.01
    )
    start = time.monotonic()
    outcome = download(small_vo_server.data_url(real[0].name), tmp_path, options)
    assert "timed out" in outcome.error and outcome.attempts == 2
    assert time.monotonic() - start < 3
    assert not list(tmp_path.rglob("*.fits"))


def test_html_page_served_as_fits_is_reported(small_vo_server, tmp_path, real):
    small_vo_server.faults[real[0].name] = "html"
    outcome = download(small_vo_server.data_url(real[0].name), tmp_path, FAST)
    assert "HTML page instead of data" in outcome.error
    assert "Service maintenance" not in outcome.error  # what a server says is not shown
    assert not any(tmp_path.iterdir())


def test_size_cap_aborts_the_download(small_vo_server, tmp_path, real):
    options = FetchOptions(policy=TEST_POLICY, max_bytes=10_000, retries=2)
    outcome = download(small_vo_server.data_url(real[0].name), tmp_path, options)
    assert "larger than" in outcome.error and "MB" in outcome.error and outcome.attempts == 1
    assert not any(tmp_path.iterdir())


def test_unsupported_scheme_is_an_outcome_not_an_exception(tmp_path):
    assert "unsupported" in download("file:///etc/passwd", tmp_path, FAST).error


def test_download_all_fetches_in_parallel(small_vo_server, tmp_path, synthetic):
    pairs = [
        (small_vo_server.data_url(d.name), tmp_path / str(i)) for i, d in enumerate(synthetic[:6])
    ]
    results = dict(download_all(pairs, FetchOptions(policy=TEST_POLICY, parallel=3)))
    assert sorted(results) == list(range(6))
    assert all(o.ok and o.path.name == synthetic[i].name for i, o in results.items())
