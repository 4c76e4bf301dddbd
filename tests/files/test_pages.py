"""The file manager through the Django test client: listing, uploads, quota, operations."""

from __future__ import annotations

import io
import zipfile

from astropy.table import Table
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.files.conftest import ONDREJOV, index_paths, said, space_of, tree
from vocloud.files.models import Quota


def up(name: str, data: bytes = b"x") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_the_folder_page_lists_folders_and_files(client, alice, alice_files):
    client.force_login(alice)
    response = client.get("/files/")
    page = response.content.decode()
    assert [item.name for item in response.context["items"]] == ["archive", "night1", "notes.txt"]
    assert "16 bytes" in page and 'name="paths" value="notes.txt"' in page
    assert "webkitdirectory" in page and "extract archives" in page
    crumbs = client.get("/files/browse/night1/raw").content.decode()
    assert 'href="/files/browse/night1">night1</a>' in crumbs and "oe270005.fits" in crumbs
    assert "Files" in client.get("/").content.decode()  # the nav link


def test_a_file_path_under_browse_opens_its_view(client, alice, alice_files):
    client.force_login(alice)
    response = client.get("/files/browse/notes.txt")
    assert response.status_code == 302 and response["Location"] == "/files/view/notes.txt"


def test_many_files_at_once(client, alice, db):
    client.force_login(alice)
    response = client.post(
        "/files/upload/", {"folder": "", "files": [up("a.txt"), up("b.csv", b"1,2\n")]}, follow=True
    )
    assert said(response) == ["Uploaded 2 file(s)."]
    assert tree(space_of(alice).files) == ["a.txt", "b.csv"]


def test_a_folder_upload_keeps_relative_paths(client, alice, alice_files):
    client.force_login(alice)
    files = [up("a.fits", b"SIMPLE"), up("b.txt"), up("c.txt")]
    paths = ["night2/raw/a.fits", "night2/b.txt", "night2/logs/c.txt"]
    response = client.post(
        "/files/upload/", {"folder": "archive", "tree": files, "tree_paths": paths}, follow=True
    )
    assert said(response) == ["Uploaded 3 file(s)."]
    assert response.redirect_chain[-1][0] == "/files/browse/archive"
    assert tree(alice_files.files / "archive") == [
        "night2", "night2/b.txt", "night2/logs", "night2/logs/c.txt", "night2/raw",
        "night2/raw/a.fits",
    ]  # fmt: skip


def test_a_folder_upload_with_an_escaping_path_writes_nothing(client, alice, alice_files):
    client.force_login(alice)
    before = tree(alice_files.root)
    response = client.post(
        "/files/upload/",
        {"tree": [up("a.txt"), up("b.txt")], "tree_paths": ["d/a.txt", "d/../../../b.txt"]},
        follow=True,
    )
    assert "Upload refused: unsafe file name" in said(response)[0]
    # the page after it keeps the quota's usage counter (.usage.json) beside files/
    assert [p for p in tree(alice_files.root) if not p.startswith(".")] == before


def test_archives_are_extracted_when_asked(client, alice, db):
    client.force_login(alice)
    archive = up("night.zip", zip_of({"night/a.txt": b"a", "b.txt": b"b"}))
    response = client.post("/files/upload/", {"files": [archive], "extract": "on"}, follow=True)
    assert said(response) == ["Uploaded 2 file(s) from 1 archive(s) extracted."]
    assert tree(space_of(alice).files) == ["b.txt", "night", "night/a.txt"]


def test_a_bad_archive_says_why_and_leaves_nothing(client, alice, db):
    client.force_login(alice)
    archive = up("evil.zip", zip_of({"ok.txt": b"fine", "../../evil.txt": b"evil"}))
    response = client.post(
        "/files/upload/", {"files": [up("other.txt"), archive], "extract": "on"}, follow=True
    )
    assert said(response) == [
        "evil.zip: unsafe member '../../evil.txt' ('../../evil.txt': '..' is not allowed)"
    ]
    assert tree(space_of(alice).files) == [] and tree(space_of(alice).scratch) == []


def test_over_quota_uploads_are_refused_with_the_sizes(client, alice, db):
    Quota.objects.create(user=alice, bytes=1000)
    client.force_login(alice)
    response = client.post("/files/upload/", {"files": [up("a.bin", b"\0" * 5000)]}, follow=True)
    assert said(response) == [
        "Upload refused: it needs 4.9 KB but only 1000 bytes of your 1000 bytes quota is free."
    ]
    assert tree(space_of(alice).files) == []


def test_a_request_far_over_quota_is_stopped_while_it_arrives(client, alice, db):
    Quota.objects.create(user=alice, bytes=1024**2)
    client.force_login(alice)
    big = up("big.bin", b"\0" * (3 * 1024**2))
    response = client.post("/files/upload/", {"folder": "", "files": [big]}, follow=True)
    [message] = said(response)
    assert message.startswith("Upload refused: it needs 3 MB but only 1 MB of your 1 MB quota")
    assert tree(space_of(alice).files) == []


def test_a_file_over_the_single_upload_limit_is_refused(client, alice, db, settings):
    settings.VOCLOUD_MAX_UPLOAD_BYTES = 1000
    client.force_login(alice)
    response = client.post("/files/upload/", {"files": [up("a.bin", b"1" * 2000)]}, follow=True)
    assert said(response) == [
        "Upload refused: a.bin is bigger than the 1000 bytes allowed for one file."
    ]
    assert tree(space_of(alice).files) == []


def test_the_default_quota_comes_from_settings(client, alice, db, settings):
    settings.VOCLOUD_DEFAULT_QUOTA_BYTES = 2 * 1024**3
    client.force_login(alice)
    assert "0 bytes of 2 GB used" in client.get("/files/").content.decode()


def test_make_folder_rename_move_copy(client, alice, alice_files):
    client.force_login(alice)
    response = client.post("/files/mkdir/", {"folder": "archive", "name": "2005"}, follow=True)
    assert said(response) == ["Folder 2005 created."]
    response = client.post("/files/rename/", {"path": "night1", "name": "n1"}, follow=True)
    assert said(response) == ["Renamed to n1."]
    assert index_paths(alice_files) == ["n1/raw/oe270005.fits"]
    response = client.post("/files/move/", {"paths": ["n1", "notes.txt"], "dest": "archive/2005"})
    assert index_paths(alice_files) == ["archive/2005/n1/raw/oe270005.fits"]
    client.post("/files/copy/", {"paths": ["archive/2005/notes.txt"], "dest": ""})
    assert tree(alice_files.files) == [
        "archive", "archive/2005", "archive/2005/n1", "archive/2005/n1/raw",
        "archive/2005/n1/raw/oe270005.fits", "archive/2005/notes.txt", "notes.txt",
    ]  # fmt: skip


def test_a_clash_is_a_message_not_an_error(client, alice, alice_files):
    client.force_login(alice)
    response = client.post("/files/rename/", {"path": "notes.txt", "name": "night1"}, follow=True)
    assert said(response) == ["'night1' already exists here."]


def test_delete_asks_first_then_deletes_and_forgets(client, alice, alice_files):
    client.force_login(alice)
    confirm = client.post("/files/delete/", {"paths": ["night1", "notes.txt"], "folder": ""})
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "Delete 2 items?" in page and "/night1/" in page
    assert (alice_files.files / "night1").exists()
    response = client.post(
        "/files/delete/", {"paths": ["night1", "notes.txt"], "confirm": "yes"}, follow=True
    )
    assert said(response) == ["Deleted 2 item(s)."]
    assert tree(alice_files.files) == ["archive"] and index_paths(alice_files) == []


def test_download_one_file_and_a_zip_of_a_selection(client, alice, alice_files):
    client.force_login(alice)
    one = client.get("/files/download/notes.txt")
    assert b"".join(one.streaming_content) == b"seeing 2 arcsec\n"
    assert 'attachment; filename="notes.txt"' in one["Content-Disposition"]
    response = client.post("/files/zip/", {"paths": ["night1", "notes.txt", "archive"]})
    assert response["Content-Type"] == "application/zip" and response.streaming
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:
        assert zf.namelist() == ["night1/raw/oe270005.fits", "notes.txt"]
        assert zf.read("night1/raw/oe270005.fits") == ONDREJOV.read_bytes()


def test_fits_view_shows_headers_and_a_bokeh_plot(client, alice, alice_files):
    client.force_login(alice)
    page = client.get("/files/view/night1/raw/oe270005.fits").content.decode()
    assert "OBJECT  = &#x27;HD 208905" in page and "HD 208905" in page
    assert "PrimaryHDU" in page and "ondrejov-ccd700" in page
    assert 'id="spectrum-plot"' in page and "data-root-id" in page
    assert "/static/bokeh/js/bokeh.min.js" in page and "Bokeh.safely" in page


def test_a_fits_that_is_not_a_spectrum_says_why(client, alice, alice_files):
    from astropy.io import fits

    fits.PrimaryHDU().writeto(alice_files.files / "empty.fits")
    client.force_login(alice)
    response = client.get("/files/view/empty.fits")
    assert response.context["spectrum_error"].startswith("Not read as a spectrum:")
    assert "SIMPLE" in response.content.decode()


def test_votable_view_shows_the_first_rows(client, alice, alice_files):
    Table({"wave": [4000.0 + i for i in range(600)], "flux": [1.5] * 600}).write(
        alice_files.files / "t.vot", format="votable"
    )
    client.force_login(alice)
    page = client.get("/files/view/t.vot").content.decode()
    assert "600 rows, first 500 shown" in page and "<td>4499.0</td>" in page
    assert "<td>4500.0</td>" not in page


def test_text_view_and_an_unreadable_votable(client, alice, alice_files):
    (alice_files.files / "bad.vot").write_text("<VOTABLE><oops")
    client.force_login(alice)
    assert "seeing 2 arcsec" in client.get("/files/view/notes.txt").content.decode()
    assert "not a readable VOTable" in client.get("/files/view/bad.vot").content.decode()
