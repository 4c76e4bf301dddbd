"""Large folders through the Django test client: server-side paging, sorting, filtering,
"all matching" bulk actions and resumable chunked uploads."""

from __future__ import annotations

import io
import os
import re
import time
import zipfile

import pytest

from services.storage import browsing, chunked
from tests.files.conftest import said, space_of, tree
from vocloud.files.models import Quota

N_BIG = 100_000
DAY_S = 86_400


def name_of(i: int) -> str:
    """Every 10th is a text file; the case of the prefix varies, to test the filter."""
    return f"{'Spec' if i % 3 else 'spec'}-{i:06d}" + (".txt" if i % 10 == 0 else ".fits")


def size_of(i: int) -> int:
    return (i * 7919) % 100_003  # a permutation of sizes, so size order is not name order


def make_big_folder(folder, n: int) -> None:
    """``n`` empty-but-sized (sparse) files and three subfolders, all with old mtimes."""
    folder.mkdir(parents=True)
    base = time.time() - 400 * DAY_S
    for name in ("sub-b", "Sub-a", "sub-c"):
        (folder / name).mkdir()
        os.utime(folder / name, (base, base))  # one date: ties are broken by name
    for i in range(n):
        path = os.path.join(folder, name_of(i))
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
        os.ftruncate(fd, size_of(i))
        os.close(fd)
        # the lower the number, the newer the file
        stamp = base + (n - i) * 60
        os.utime(path, (stamp, stamp))
    old = base - DAY_S
    os.utime(folder, (old, old))  # settled: the listing is kept in memory


def names(response) -> list[str]:
    return [item.name for item in response.context["items"]]


@pytest.fixture(autouse=True)
def fresh_listings():
    browsing.forget_listings()
    yield
    browsing.forget_listings()


def test_a_100000_file_folder_pages_sorts_and_filters(client, alice):
    space = space_of(alice)
    big = space.files / "big"
    make_big_folder(big, N_BIG)
    client.force_login(alice)
    files_by_name = sorted((name_of(i) for i in range(N_BIG)), key=str.lower)

    first = client.get("/files/browse/big")
    listing = first.context["listing"]
    assert listing.n_entries == N_BIG + 3 and listing.n_pages == (N_BIG + 3 + 99) // 100
    assert names(first)[:3] == ["Sub-a", "sub-b", "sub-c"]  # folders first, case-insensitive
    assert names(first)[3:] == files_by_name[:97]
    assert "1\u2013100 of 100,003" in first.content.decode()

    # A middle page and the last page, with the page links around them.
    middle = client.get("/files/browse/big", {"page": 500})
    assert names(middle) == files_by_name[499 * 100 - 3 : 500 * 100 - 3]
    assert [n for n in middle.context["pages"] if n] == [1, 498, 499, 500, 501, 502, 1001]
    last = client.get("/files/browse/big", {"page": 1001})
    assert names(last) == files_by_name[-3:]
    assert client.get("/files/browse/big", {"page": 5000}).context["query"].page == 1001

    # By size, largest first, across a page boundary; then by date, newest first.
    by_size = sorted(range(N_BIG), key=lambda i: (-size_of(i), name_of(i).lower()))
    page2 = client.get("/files/browse/big", {"sort": "size", "order": "desc", "page": 2})
    assert names(page2) == [name_of(i) for i in by_size[97:197]]
    sizes = [item.size for item in page2.context["items"]]
    assert sizes == sorted(sizes, reverse=True)
    newest = client.get("/files/browse/big", {"sort": "modified", "order": "desc"})
    assert names(newest)[:3] == ["sub-c", "sub-b", "Sub-a"]  # folders, reversed by name
    assert names(newest)[3:6] == [name_of(0), name_of(1), name_of(2)]

    # Filters: a case-insensitive name substring, a type, both, with 500 a page.
    found = client.get("/files/browse/big", {"q": "SPEC-01", "per_page": 500, "page": 3})
    expected = [n for n in files_by_name if "spec-01" in n.lower()]
    assert found.context["listing"].n_matching == len(expected) == 10_000
    assert names(found) == expected[1000:1500]
    text = client.get("/files/browse/big", {"type": "text", "q": "99", "sort": "size"})
    expected = [name_of(i) for i in range(0, N_BIG, 10) if "99" in name_of(i)]
    assert text.context["listing"].n_matching == len(expected)
    assert all(n.endswith(".txt") and "99" in n for n in names(text))
    assert [i.size for i in text.context["items"]] == sorted(i.size for i in text.context["items"])
    assert "of 100,003 here" in text.content.decode()

    # A new file changes the folder's mtime: the next page reads the folder again.
    (big / "aaa-new.fits").write_bytes(b"SIMPLE")
    again = client.get("/files/browse/big")
    assert again.context["listing"].n_entries == N_BIG + 4 and names(again)[3] == "aaa-new.fits"


@pytest.fixture
def folder_of_250(alice):
    space = space_of(alice)
    make_big_folder(space.files / "night", 250)
    return space


def test_select_all_matching_deletes_every_match_on_every_page(client, alice, folder_of_250):
    client.force_login(alice)
    chosen = {"folder": "night", "all_matching": "1", "q": "-0001", "type": "FITS"}
    matching = [name_of(i) for i in range(250) if "-0001" in name_of(i) and i % 10]
    assert len(matching) == 90  # 100..199 minus the text files
    confirm = client.post("/files/delete/", chosen)
    page = confirm.content.decode()
    assert "Delete 90 items?" in page and 'name="expected" value="90"' in page
    assert len(re.findall(r"<li><code>", page)) == 50  # the first 50, then the count
    # The folder changed between the confirmation and the click: nothing is deleted.
    stale = client.post(
        "/files/delete/", {**chosen, "confirm": "yes", "expected": "89"}, follow=True
    )
    assert said(stale) == ["The folder changed since you confirmed: nothing was deleted."]
    assert len(os.listdir(folder_of_250.files / "night")) == 253
    confirmed = {**chosen, "confirm": "yes", "expected": "90"}
    done = client.post("/files/delete/", confirmed, follow=True)
    assert said(done) == ["Deleted 90 item(s)."]
    left = set(os.listdir(folder_of_250.files / "night"))
    assert len(left) == 253 - 90 and not left & set(matching)


def test_select_all_matching_zips_and_moves_the_whole_filter(client, alice, folder_of_250):
    client.force_login(alice)
    chosen = {"folder": "night", "all_matching": "1", "type": "text", "paths": ["night/sub-b"]}
    response = client.post("/files/zip/", chosen)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 25 and all(n.endswith(".txt") for n in archive.namelist())
    moved = client.post("/files/move/", {**chosen, "dest": "night/Sub-a"}, follow=True)
    assert said(moved)[0].startswith("Moved 25 item(s) to")
    assert len(os.listdir(folder_of_250.files / "night" / "Sub-a")) == 25
    # without "all matching" only the ticked paths count
    client.post(
        "/files/move/", {"folder": "night", "paths": ["night/sub-b"], "dest": "night/sub-c"}
    )
    assert tree(folder_of_250.files / "night" / "sub-c") == ["sub-b"]


def test_a_bad_query_is_explained_and_never_fails(client, alice, folder_of_250):
    client.force_login(alice)
    response = client.get(
        "/files/browse/night", {"sort": "owner", "order": "up", "page": "x", "per_page": 7}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown sort order: sorted by name." in page and "Pages hold 50, 100, 500 rows" in page
    assert response.context["query"] == browsing.ListingQuery()
    nothing = client.get("/files/browse/night", {"q": "no-such-name"})
    assert "Nothing here matches this filter." in nothing.content.decode()


def upload_id(client, size: int, path: str = "big.bin", folder: str = "") -> str:
    response = client.post("/files/chunked/", {"folder": folder, "path": path, "size": size})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def send(client, upload: str, offset: int, data: bytes):
    return client.post(
        f"/files/chunked/{upload}?offset={offset}", data, content_type="application/octet-stream"
    )


def test_a_large_file_arrives_in_chunks_and_resumes_where_the_server_is(client, alice, db):
    client.force_login(alice)
    data = os.urandom(chunked.CHUNK_BYTES + 1000)
    space_of(alice)
    (space_of(alice).files / "night").mkdir()
    upload = upload_id(client, len(data), path="raw/big.bin", folder="night")
    first = send(client, upload, 0, data[: chunked.CHUNK_BYTES])
    assert first.json() == {"offset": chunked.CHUNK_BYTES, "size": len(data), "done": False}
    # The connection broke: the browser asks where to go on, and a chunk sent twice is refused.
    assert client.get(f"/files/chunked/{upload}").json()["offset"] == chunked.CHUNK_BYTES
    again = send(client, upload, 0, data[:10])
    assert again.status_code == 409 and again.json()["offset"] == chunked.CHUNK_BYTES
    last = send(client, upload, chunked.CHUNK_BYTES, data[chunked.CHUNK_BYTES :])
    assert last.json()["done"] and last.json()["message"] == "Uploaded 1 file(s)."
    assert (space_of(alice).files / "night" / "raw" / "big.bin").read_bytes() == data
    assert not list((space_of(alice).scratch / "chunked").iterdir())  # nothing left behind
    assert client.get(f"/files/chunked/{upload}").status_code == 404
    # The same intake as a form upload: a taken name gets a new one.
    upload = upload_id(client, 3, path="raw/big.bin", folder="night")
    send(client, upload, 0, b"abc")
    assert tree(space_of(alice).files / "night" / "raw") == ["big (1).bin", "big.bin"]


def test_an_empty_file_is_stored_when_its_upload_opens(client, alice, db):
    client.force_login(alice)
    response = client.post("/files/chunked/", {"folder": "", "path": "empty.txt", "size": 0})
    assert response.status_code == 201 and response.json()["done"]
    assert (space_of(alice).files / "empty.txt").read_bytes() == b""


def test_an_archive_sent_in_chunks_is_extracted_like_a_form_upload(client, alice, db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a/one.txt", "1")
        zf.writestr("b.txt", "2")
    data = buffer.getvalue()
    client.force_login(alice)
    response = client.post(
        "/files/chunked/", {"folder": "", "path": "x.zip", "size": len(data), "extract": "on"}
    )
    answer = send(client, response.json()["id"], 0, data).json()
    assert answer["message"] == "Uploaded 2 file(s) from 1 archive(s) extracted."
    assert tree(space_of(alice).files) == ["a", "a/one.txt", "b.txt"]


def test_the_quota_is_checked_before_every_chunk(client, alice, db):
    Quota.objects.create(user=alice, bytes=3000)
    client.force_login(alice)
    refused = client.post("/files/chunked/", {"folder": "", "path": "a.bin", "size": 5000})
    assert refused.status_code == 400 and "quota is free" in refused.json()["error"]
    first = upload_id(client, 2000, "a.bin")
    second = upload_id(client, 1000, "b.bin")
    assert client.post("/files/chunked/", {"path": "c.bin", "size": 1}).status_code == 400
    assert send(client, first, 0, b"x" * 2000).json()["done"]
    # alice filled her space meanwhile (a job, another tab): the next chunk is refused
    (space_of(alice).files / "other.bin").write_bytes(b"y" * 500)
    from services.storage.quota import forget_usage

    forget_usage(space_of(alice))
    over = send(client, second, 0, b"z" * 1000)
    assert over.status_code == 400 and "quota is free" in over.json()["error"]
    assert client.get(f"/files/chunked/{second}").json()["offset"] == 0
