"""The large-folder file manager's new ways in: listing parameters, "all matching" bulk
actions and chunked uploads.

Rows: attack -> expected refusal. A listing parameter never becomes a path (only the
folder in the URL does, through ``UserSpace.resolve``) and never fails the page; an upload
id names a directory only inside its owner's scratch space, so another user's id, or one
that climbs out, is "No such upload"; offsets, sizes and quota are checked before a byte
is written; names go through the same containment as every upload.
"""

from __future__ import annotations

import pytest
from django.test import Client

from services.storage import browsing
from tests.files.conftest import space_of, tree
from vocloud.files.models import Quota

HOSTILE_QUERIES = [
    {"sort": "../../etc/passwd"},
    {"sort": "__class__", "order": "desc; DROP TABLE"},
    {"sort": "size\x00name"},
    {"page": "-1"},
    {"page": "0"},
    {"page": "99999999999999999999999999"},
    {"page": "abc"},
    {"page": "1e9"},
    {"page": "\u0661"},  # an Arabic-Indic digit that int() would accept
    {"per_page": "1000000"},
    {"per_page": "-50"},
    {"q": "../../../etc"},
    {"q": "/etc/passwd"},
    {"q": "a\x00b"},
    {"q": "x" * 10_000},
    {"type": "<img src=x onerror=alert(1)>"},
    {"q": "<script>alert(1)</script>", "type": "../"},
]


@pytest.fixture
def alices_folder(alice):
    space = space_of(alice)
    (space.files / "night").mkdir()
    for name in ("a.fits", "b.txt", "<b onclick=alert(2)>bold.txt"):
        (space.files / "night" / name).write_bytes(b"1234")
    browsing.forget_listings()
    return space


@pytest.mark.parametrize("params", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_listing_parameters_give_a_page_never_an_error(
    client, alice, alices_folder, params
):
    client.force_login(alice)
    response = client.get("/files/browse/night", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "Traceback" not in page and str(alices_folder.root) not in page
    query = response.context["query"]
    assert query.sort in browsing.SORT_KEYS and query.per_page in browsing.PAGE_SIZES
    assert 1 <= query.page <= response.context["listing"].n_pages
    assert len(query.text) <= browsing.MAX_FILTER_CHARS


def test_a_file_name_with_markup_is_shown_as_text(client, alice, alices_folder):
    client.force_login(alice)
    page = client.get("/files/browse/night", {"q": "<b"}).content.decode()
    assert "&lt;b onclick=alert(2)&gt;bold.txt" in page and "<b onclick" not in page


@pytest.mark.parametrize("folder", ["../..", "/etc", "night/../../..", "nowhere"])
def test_all_matching_in_a_folder_outside_the_space_is_not_found(
    client, alice, alices_folder, folder
):
    client.force_login(alice)
    data = {"folder": folder, "all_matching": "1", "q": "", "confirm": "yes"}
    for url in ("/files/delete/", "/files/zip/", "/files/move/", "/files/copy/"):
        assert client.post(url, {**data, "dest": ""}).status_code == 404
    assert tree(alices_folder.files / "night") == [
        "<b onclick=alert(2)>bold.txt",
        "a.fits",
        "b.txt",
    ]


def test_bob_cannot_act_on_all_of_alices_matches(client, alices_folder, bob):
    client.force_login(bob)
    for url in ("/files/delete/", "/files/zip/", "/files/move/"):
        data = {"folder": "night", "all_matching": "1", "confirm": "yes", "dest": ""}
        assert client.post(url, data).status_code == 404
    assert len(tree(alices_folder.files / "night")) == 3


def open_upload(client, size: int, path: str = "big.bin", folder: str = ""):
    return client.post("/files/chunked/", {"folder": folder, "path": path, "size": size})


def chunk(client, upload_id: str, offset, data: bytes):
    return client.post(
        f"/files/chunked/{upload_id}?offset={offset}", data, content_type="application/octet-stream"
    )


def test_bob_cannot_read_or_write_alices_upload(client, alice, bob):
    client.force_login(alice)
    upload_id = open_upload(client, 10).json()["id"]
    chunk(client, upload_id, 0, b"alice")
    client.force_login(bob)
    assert client.get(f"/files/chunked/{upload_id}").status_code == 404
    assert chunk(client, upload_id, 5, b"bob's").status_code == 404
    client.force_login(alice)
    assert client.get(f"/files/chunked/{upload_id}").json() == {"offset": 5, "size": 10}


@pytest.mark.parametrize(
    "upload_id", ["..", "..%2F..%2Fusers", "a" * 33, "g" * 32, "%00" + "a" * 31, "A" * 32]
)
def test_an_upload_id_that_is_not_one_names_nothing(client, alice, upload_id):
    client.force_login(alice)
    assert client.get(f"/files/chunked/{upload_id}").status_code == 404
    assert chunk(client, upload_id, 0, b"x").status_code == 404


@pytest.mark.parametrize(
    ("offset", "status"),
    [(3, 409), (-1, 400), ("x", 400), ("", 400), ("1e3", 400), (10**30, 400), (10, 409)],
)
def test_an_offset_other_than_the_received_bytes_is_refused(client, alice, offset, status):
    client.force_login(alice)
    upload_id = open_upload(client, 10).json()["id"]
    response = chunk(client, upload_id, offset, b"abc")
    assert response.status_code == status and response.json()["error"]
    assert client.get(f"/files/chunked/{upload_id}").json()["offset"] == 0


def test_bytes_past_the_announced_size_are_refused(client, alice):
    client.force_login(alice)
    upload_id = open_upload(client, 4).json()["id"]
    response = chunk(client, upload_id, 0, b"12345")
    assert response.status_code == 400 and "announced size" in response.json()["error"]
    assert client.get(f"/files/chunked/{upload_id}").json()["offset"] == 0


def test_an_over_quota_upload_or_chunk_writes_nothing(client, alice):
    Quota.objects.create(user=alice, bytes=100)
    client.force_login(alice)
    refused = open_upload(client, 101)
    assert refused.status_code == 400 and "quota" in refused.json()["error"]
    upload_id = open_upload(client, 100).json()["id"]
    Quota.objects.filter(user=alice).update(bytes=50)  # the admin lowered it meanwhile
    over = chunk(client, upload_id, 0, b"x" * 60)
    assert over.status_code == 400 and "quota" in over.json()["error"]
    assert client.get(f"/files/chunked/{upload_id}").json()["offset"] == 0
    assert tree(space_of(alice).files) == []


@pytest.mark.parametrize(
    ("path", "folder"),
    [
        ("../escape.bin", ""),
        ("a/../../escape.bin", ""),
        ("/etc/escape.bin", ""),
        ("..\\..\\escape.bin", ""),
        ("nul\x00.bin", ""),
        ("", ""),
        ("ok.bin", "../.."),
        ("ok.bin", "/tmp"),
    ],
)
def test_an_upload_name_that_leaves_the_space_is_refused(client, alice, path, folder):
    client.force_login(alice)
    response = open_upload(client, 3, path=path, folder=folder)
    assert response.status_code in (400, 404)
    error = response.json()["error"]
    assert error and "Traceback" not in error and "/users/" not in error
    assert tree(space_of(alice).root / "files") == []


@pytest.mark.parametrize("size", ["-1", "1e9", "abc", "", str(10**40), str(3 * 1024**3)])
def test_a_bad_or_too_big_size_is_refused(client, alice, size):
    client.force_login(alice)
    response = client.post("/files/chunked/", {"folder": "", "path": "a.bin", "size": size})
    assert response.status_code == 400 and response.json()["error"]


def test_chunked_uploads_need_a_session_and_the_csrf_token(alice):
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/files/chunked/", {"path": "a", "size": 1}).status_code in (401, 403)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.post("/files/chunked/", {"path": "a", "size": 1}).status_code == 403
    assert (
        browser.post(
            "/files/chunked/" + "a" * 32 + "?offset=0", b"x", "application/octet-stream"
        ).status_code
        == 403
    )
    assert tree(space_of(alice).root / "files") == []


def test_a_chunk_bigger_than_allowed_is_refused_before_it_is_read(client, alice):
    from services.storage.chunked import CHUNK_BYTES

    client.force_login(alice)
    upload_id = open_upload(client, CHUNK_BYTES * 2).json()["id"]
    response = chunk(client, upload_id, 0, b"x" * (CHUNK_BYTES + 1))
    assert response.status_code == 413
    assert client.get(f"/files/chunked/{upload_id}").json()["offset"] == 0


# The overlay page: its paths are names in the user's space like any other.


@pytest.mark.parametrize(
    "paths",
    [["../../etc/passwd"], ["/etc/passwd"], ["night/../../../x"], ["night"], ["nowhere.fits"]],
)
def test_overlay_paths_outside_the_space_or_not_files_are_not_found(
    client, alice, alices_folder, paths
):
    client.force_login(alice)
    assert client.get("/files/overlay/", {"paths": paths}).status_code == 404


def test_bob_cannot_overlay_alices_spectra(client, alices_folder, bob):
    client.force_login(bob)
    assert client.get("/files/overlay/", {"paths": ["night/a.fits"]}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"norm": "<script>alert(1)</script>"},
        {"offset": "inf"},
        {"offset": "1e308"},
        {"wmin": "nan", "wmax": "-inf"},
        {"unit": "../../"},
        {"lines": "\x00"},
    ],
)
def test_hostile_overlay_options_give_a_page(client, alice, alices_folder, params):
    client.force_login(alice)
    response = client.get("/files/overlay/", {"paths": ["night/b.txt"], **params})
    assert response.status_code == 200 and "<script>alert(1)" not in response.content.decode()


def test_a_name_with_markup_in_the_overlay_is_text(client, alice, alices_folder):
    client.force_login(alice)
    name = "night/<b onclick=alert(2)>bold.txt"
    page = client.get("/files/overlay/", {"paths": [name] * 30}).content.decode()
    assert "<b onclick" not in page and "&lt;b onclick=alert(2)&gt;bold.txt" in page
    assert "At most 12 spectra" not in page  # the same path 30 times is one path
