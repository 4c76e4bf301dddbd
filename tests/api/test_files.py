"""Files through the JSON API: list, upload, download, folders, delete; refusals in JSON."""

from __future__ import annotations

import pytest

from tests.api.conftest import API, space_of

pytestmark = pytest.mark.django_db
LABELS = b"path,class\ns/0.fits,A\ns/1.fits,B\n"


def put(client, path: str, body: bytes, **query):
    url = f"{API}/files/content/{path}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.put(url, body, content_type="application/octet-stream")


def test_me_names_the_tokens_owner(as_alice):
    answer = as_alice.get(f"{API}/me").json()
    assert answer["username"] == "alice" and answer["quota"]["used_bytes"] == 0


def test_a_label_csv_goes_in_as_it_is_and_comes_back(alice, as_alice):
    stored = put(as_alice, "labels/round1.csv", LABELS)
    assert stored.status_code == 201, stored.content
    assert stored.json() == {"path": "labels/round1.csv", "size": len(LABELS)}
    assert (space_of(alice).files / "labels" / "round1.csv").read_bytes() == LABELS
    got = as_alice.get(f"{API}/files/content/labels/round1.csv")
    assert got.status_code == 200 and b"".join(got.streaming_content) == LABELS


def test_listing_pages_like_the_portal(as_alice):
    for i in range(3):
        put(as_alice, f"d/f{i}.txt", b"x" * (i + 1))
    as_alice.post(f"{API}/files/mkdir", {"path": "d/sub"}, content_type="application/json")
    answer = as_alice.get(f"{API}/files/", {"path": "d", "sort": "size", "order": "desc"}).json()
    assert [i["name"] for i in answer["items"]] == ["sub", "f2.txt", "f1.txt", "f0.txt"]
    assert answer["items"][1] == {
        "name": "f2.txt",
        "path": "d/f2.txt",
        "type": "file",
        "kind": "text",
        "size": 3,
        "modified": answer["items"][1]["modified"],
    }
    assert answer["items"][0]["type"] == "folder" and answer["n_pages"] == 1
    top = as_alice.get(f"{API}/files/").json()
    assert [i["path"] for i in top["items"]] == ["d"] and top["path"] == ""


def test_a_taken_path_is_refused_unless_overwrite(alice, as_alice):
    put(as_alice, "a.csv", b"old")
    refused = put(as_alice, "a.csv", b"new")
    assert refused.status_code == 409 and "overwrite=1" in refused.json()["error"]
    assert put(as_alice, "a.csv", b"newer", overwrite=1).status_code == 201
    files = space_of(alice).files
    assert (files / "a.csv").read_bytes() == b"newer" and sorted(
        p.name for p in files.iterdir()
    ) == ["a.csv"]


def test_mkdir_makes_parents_and_says_whether_anything_was_made(alice, as_alice):
    made = as_alice.post(f"{API}/files/mkdir", {"path": "a/b/c"}, content_type="application/json")
    assert made.status_code == 201 and made.json() == {"path": "a/b/c", "created": True}
    again = as_alice.post(f"{API}/files/mkdir", {"path": "a/b"}, content_type="application/json")
    assert again.status_code == 200 and again.json()["created"] is False
    assert (space_of(alice).files / "a" / "b" / "c").is_dir()
    put(as_alice, "f.txt", b"x")
    clash = as_alice.post(
        f"{API}/files/mkdir", {"path": "f.txt/x"}, content_type="application/json"
    )
    assert clash.status_code == 409
    bad = as_alice.post(f"{API}/files/mkdir", {"folder": "x"}, content_type="application/json")
    assert bad.status_code == 400 and "path" in bad.json()["error"]


def test_delete_removes_files_and_folders(alice, as_alice):
    put(as_alice, "d/x.txt", b"x")
    assert as_alice.delete(f"{API}/files/content/d/x.txt").status_code == 200
    assert as_alice.delete(f"{API}/files/content/d").status_code == 200
    assert list(space_of(alice).files.iterdir()) == []
    gone = as_alice.delete(f"{API}/files/content/d")
    assert gone.status_code == 404 and gone.json() == {"error": "No such file or folder."}


def test_missing_things_answer_404_in_json(as_alice):
    for url in (f"{API}/files/content/nope.txt", f"{API}/files/?path=nope"):
        response = as_alice.get(url)
        assert response.status_code == 404
        assert response.json() == {"error": "No such file or folder."}


def test_an_upload_without_a_length_is_refused(as_alice):
    response = as_alice.generic(
        "PUT", f"{API}/files/content/a.txt", b"", CONTENT_TYPE="application/octet-stream"
    )
    assert response.status_code == 411 and "Content-Length" in response.json()["error"]
    empty = put(as_alice, "empty.txt", b"", **{})
    assert empty.status_code in (201, 411)
