"""Attack rows, as data, for signed links and the labels API (issue 11).

Signed links (files, job results, labelling samples) die when what they were made for is
replaced, even under the same name or database key, and when their owner revokes them all;
the labels API takes only spectra of the session's dataset, and not too many at once; a
label CSV that is not what the reader expects, or a class name in a header, is one readable
sentence, never a 500. Every row runs against the real views and functions in process.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.labelling import conftest as labelling_conftest
from vocloud.accounts.models import LinkGeneration
from vocloud.files import links as file_links
from vocloud.files import operations as files
from vocloud.labelling import exports, operations
from vocloud.labelling.models import Label, LabelChange, Round, Session
from vocloud.uws import links as result_links
from vocloud.uws import storage
from vocloud.uws.models import Result

pytestmark = pytest.mark.django_db
# a helper making a finished job (alice's session with round 1 ready: fixture `labelling`)
finished_job = labelling_conftest.completed_job
NOTE = b"seeing 2 arcsec\n"


def fetch(url: str):
    """What a tool without a session gets for ``url`` (status, body text)."""
    response = Client().get(url)
    try:
        content = b"".join(response.streaming_content) if response.streaming else response.content
    finally:
        response.close()
    return response.status_code, content.decode(errors="replace")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def note(alice):
    """alice's files/notes.txt."""
    (files.space_for(alice).files / "notes.txt").write_bytes(NOTE)
    return "notes.txt"


# --- a file link dies when another file takes the name --------------------------------------


def reupload(alice, path):
    """Deleted in the file manager, then the same name uploaded again (same size, too)."""
    client = logged_in(alice)
    client.post("/files/delete/", {"paths": ["notes.txt"], "confirm": "yes"})
    assert not path.exists()
    upload = SimpleUploadedFile("notes.txt", NOTE.upper())
    client.post("/files/upload/", {"folder": "", "files": [upload]})
    assert path.read_bytes() == NOTE.upper()


def reborn_with_the_old_inode_and_mtime(alice, path):
    """The worst case: same inode number (ext4 hands it out again), size and mtime."""
    before = path.stat()
    path.unlink()
    path.write_bytes(NOTE.upper())
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def overwritten_in_place(alice, path):
    with path.open("r+b") as handle:
        handle.write(NOTE.upper())


def moved_into_its_place(alice, path):
    other = path.with_name("other.txt")
    other.write_bytes(NOTE.upper())
    os.replace(other, path)


def read_and_downloaded(alice, path):
    """Control: reading the file (and serving it) changes nothing."""
    assert path.read_bytes() == NOTE
    response = logged_in(alice).get("/files/download/notes.txt")
    response.close()
    assert response.status_code == 200


FILE_ROWS: list[tuple[Callable, int, str]] = [
    # what happens to notes.txt after its link was made   status  what the link says
    (read_and_downloaded, 200, "seeing 2 arcsec"),
    (reupload, 404, "gone"),
    (reborn_with_the_old_inode_and_mtime, 404, "gone"),
    (overwritten_in_place, 404, "gone"),
    (moved_into_its_place, 404, "gone"),
]


@pytest.mark.parametrize(
    ("happens", "status", "says"), FILE_ROWS, ids=lambda x: getattr(x, "__name__", None)
)
def test_a_file_link_serves_only_the_file_it_was_made_for(alice, note, happens, status, says):
    url = file_links.signed_file_path(alice, note)
    assert fetch(url)[0] == 200
    happens(alice, files.space_for(alice).files / note)
    got, text = fetch(url)
    assert (got, says in text) == (status, True), text
    assert "SEEING" not in text  # never the new file's bytes
    if status == 404:  # a link made now serves the new file
        assert fetch(file_links.signed_file_path(alice, note)) == (200, NOTE.upper().decode())


# --- result and sample links die with their job or round, even under a reused key ----------


def result_key_reused(alice, result: Result, _round, kept) -> None:
    """The job is gone; another job's result gets the old primary key (a restored database)."""
    result.job.delete()
    other = finished_job(alice, "selftest", kept, {})
    Result.objects.create(pk=result.pk, job=other, result_id=result.result_id, path=result.path)
    # the new result is served, by a link of its own
    assert fetch(result_links.signed_result_path(Result.objects.get(pk=result.pk)))[0] == 200


def round_key_reused(alice, _result, round_: Round, kept) -> None:
    """The round is gone; a new round (another sample) gets the old primary key."""
    source = storage.results_dir(round_.round_job.job_id)
    round_.delete()
    job = finished_job(alice, "al-round", source, {"DATASET": "toy"})
    Round.objects.create(
        pk=round_.pk, session=round_.session, number=1, snapshot="x.csv", round_job=job
    )


def session_deleted(alice, _result, round_: Round, kept) -> None:
    round_.session.delete()


KEY_ROWS = [
    # what happens                    whose link dies
    (result_key_reused, "result"),
    (round_key_reused, "sample"),
    (session_deleted, "sample"),
]


@pytest.mark.parametrize(("happens", "kind"), KEY_ROWS, ids=lambda x: getattr(x, "__name__", None))
def test_result_and_sample_links_die_with_their_job_or_round(
    alice, labelling, completed_job, tmp_path, happens, kind
):
    result, round_ = completed_job.results.get(), labelling.rounds.get(number=1)
    kept = tmp_path / "kept"  # the result's files, for a job under the reused key
    shutil.copytree(storage.results_dir(completed_job.job_id), kept)
    urls = {"result": result_links.signed_result_path(result), "sample": sample_url(round_)}
    assert fetch(urls[kind])[0] == 200
    happens(alice, result, round_, kept)
    status, text = fetch(urls[kind])
    assert status == 404 and "no longer exists" in text, text


def sample_url(round_: Round) -> str:
    return f"/labelling/signed/{exports.sign_sample(round_)}/"


# --- "Revoke all my signed links" -----------------------------------------------------------


@pytest.fixture
def alices_links(alice, labelling, completed_job, note) -> Callable[[], dict[str, str]]:
    """A function making a fresh link of each kind of alice's."""

    def make() -> dict[str, str]:
        return {
            "file": file_links.signed_file_path(alice, note),
            "result": result_links.signed_result_path(completed_job.results.get()),
            "sample": sample_url(labelling.rounds.get(number=1)),
        }

    return make


REVOKE_ROWS = [
    # who asks   how                  answer  alice's old links then
    ("alice", "post", 302, 404),
    ("bob", "post", 302, 200),  # bob revokes his own links, not alice's
    ("anonymous", "post", 302, 200),  # to the login page; nothing revoked
    ("alice", "get", 405, 200),  # only a POST revokes
    ("alice", "post-without-csrf", 403, 200),  # a cross-site form cannot
]


@pytest.mark.parametrize(("who", "how", "answer", "status"), REVOKE_ROWS)
def test_revoking_all_links(alice, bob, alices_links, who, how, answer, status):
    old = alices_links()
    assert {kind: fetch(url)[0] for kind, url in old.items()} == dict.fromkeys(old, 200)
    client = Client(enforce_csrf_checks=how == "post-without-csrf")
    if who != "anonymous":
        client.force_login({"alice": alice, "bob": bob}[who])
    stamp = LinkGeneration.objects.get(user=alice).stamp
    ask = client.get if how == "get" else client.post
    got = ask("/accounts/links/revoke/")
    assert got.status_code == answer
    if who == "anonymous":
        assert "login" in got["Location"]
    assert (LinkGeneration.objects.get(user=alice).stamp != stamp) == (status == 404)
    for kind, url in old.items():
        code, text = fetch(url)
        assert code == status, (kind, text)
        if status == 404:
            assert "not valid" in text, (kind, text)
    for kind, url in alices_links().items():  # links made now always work
        assert fetch(url)[0] == 200, kind


def test_the_tokens_page_offers_the_revoke_button_with_its_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get("/accounts/tokens/")
    html = page.content.decode()
    assert 'action="/accounts/links/revoke/"' in html and "Revoke all my signed links" in html
    answer = client.post(
        "/accounts/links/revoke/", {"csrfmiddlewaretoken": _csrf(html)}, follow=True
    )
    assert answer.status_code == 200
    assert any("no longer works" in str(m) for m in answer.context["messages"])


def _csrf(html: str) -> str:
    marker = 'name="csrfmiddlewaretoken" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


# --- the labels API: only the session's spectra, and not too many at once -------------------


def body(**fields) -> dict:
    return {"paths": ["demo/s001.fits"], "value": "flat", "round": 1} | fields


LABEL_ROWS = [
    # request body                                                  status  sentence
    (body(), 200, None),
    (body(paths=[f"demo/s{i:03d}.fits" for i in range(90)]), 200, None),  # the whole dataset
    (body(paths=["demo/s001.fits", "elsewhere/x.fits"]), 400, "1 spectrum is not in the dataset"),
    (body(paths=["../../2/files/x.fits", "/etc/passwd"]), 400, "2 spectra are not in the dataset"),
    (body(paths=["demo/s001.fits"] * (operations.MAX_PATHS + 1)), 400, "at most 10,000"),
    (body(paths="demo/s001.fits"), 400, "must be a list"),
    (body(paths=[1, 2]), 400, "must be a list"),
    (body(paths={"demo/s001.fits": 1}), 400, "must be a list"),
    (body(value=3), 400, "is text"),
    (body(value=None, mark=["bad_data"]), 400, "is text"),
    (body(round="1"), 400, "round number"),
    (body(round=[1]), 400, "round number"),
    (body(value=None, verdict="yes", predicted="flat"), 400, "needs the prediction"),
    (body(value=None, verdict="yes", predicted=[7]), 400, "not text"),
    # "shown" says which spectra were on screen: a list of paths, no more than an action
    (body(shown=["demo/s001.fits"]), 200, None),
    (body(shown="demo/s001.fits"), 400, "shown spectra must be a list"),
    (body(shown=[1]), 400, "shown spectra must be a list"),
    (body(shown=["x"] * (operations.MAX_PATHS + 1)), 400, "at most 10,000 shown"),
]


@pytest.mark.parametrize(("request_body", "status", "says"), LABEL_ROWS)
def test_the_labels_api_takes_only_the_sessions_spectra(
    alice, labelling, request_body, status, says
):
    before = (operations.states(labelling), LabelChange.objects.count())
    answer = logged_in(alice).post(
        f"/labelling/{labelling.pk}/labels/",
        json.dumps(request_body),
        content_type="application/json",
    )
    assert answer.status_code == status, answer.content[:300]
    if status == 400:
        assert says in answer.json()["error"], answer.json()
        assert (operations.states(labelling), LabelChange.objects.count()) == before
    else:
        states = answer.json()["states"]
        assert all(states[p]["value"] == "flat" for p in request_body["paths"])


# --- the review's reads: ranks of the round's sample only, a page at a time -----------------

REVIEW_ROWS = [
    # query                                  status
    ("spectrum/?rank=0", 200),
    ("spectrum/?rank=39", 404),  # the toy sample holds 30 points
    ("spectrum/?rank=-1", 404),
    ("spectrum/?rank=0,1", 404),  # one spectrum at a time
    ("spectrum/?rank=../../etc/passwd", 404),
    ("spectrum/", 404),
    ("thumbnails/?ranks=0,1,2", 200),
    ("thumbnails/?ranks=" + ",".join(["0"] * 49), 404),  # at most a page (48)
    ("thumbnails/?ranks=0,abc", 404),
    ("thumbnails/?ranks=", 404),
]


@pytest.mark.parametrize(("query", "status"), REVIEW_ROWS)
def test_the_review_reads_only_points_of_the_sample(alice, labelling, query, status):
    answer = logged_in(alice).get(f"/labelling/{labelling.pk}/rounds/1/{query}")
    assert answer.status_code == status, answer.content[:300]
    assert b"Traceback" not in answer.content and b"/tmp/" not in answer.content


def test_class_references_come_from_the_owners_labels_only(alice, bob, labelling):
    answer = logged_in(alice).get(f"/labelling/{labelling.pk}/references/").json()
    assert sum(ref["n"] for ref in answer["classes"].values()) == 15  # the imported labels
    assert len(answer["wave"]) == len(next(iter(answer["classes"].values()))["flux"])
    assert logged_in(bob).get(f"/labelling/{labelling.pk}/references/").status_code == 404


def test_an_action_of_thousands_of_spectra_is_taken_and_undone(alice):
    n = 5_000  # ten chunks of "IN (...)"; the work per path does not grow with n
    paths = [f"big/s{i:06d}.fits" for i in range(n)]
    labelling_conftest.write_paths_dataset(alice, "big", paths)
    session = Session.objects.create(owner=alice, name="big", dataset="big", classes=["A", "B"])
    operations.apply(session, paths[: n // 2], value="A")
    operations.apply(session, paths, value="B")
    assert operations.counts(session)["labels"] == {"A": 0, "B": n}
    assert len(operations.undo(session)) == n
    assert operations.counts(session)["labels"] == {"A": n // 2, "B": 0}


def test_labels_of_a_dataset_that_is_gone_are_refused(alice, labelling, settings):
    shutil.rmtree(files.space_for(alice).datasets / "toy")
    answer = logged_in(alice).post(
        f"/labelling/{labelling.pk}/labels/", json.dumps(body()), content_type="application/json"
    )
    assert answer.status_code == 400 and "is gone" in answer.json()["error"]


# --- label CSVs imported when a session is created --------------------------------------------

LABELS = "".join(f"demo/s{i:03d}.fits,{c}\n" for i, c in ((0, "absorption"), (40, "emission")))
CSV_ROWS = [
    # file bytes                                                 session?  sentence
    (("\ufeffpath,class\n" + LABELS).encode(), True, "created with 2 imported labels"),
    (("path,class\n" + LABELS).encode("utf-16"), False, "is not UTF-8 text"),
    ("path,class\ndemo/s000.fits,étoile\n".encode("latin-1"), False, "is not UTF-8 text"),
    (f"path,class\ndemo/s000.fits,{'x' * 200_000}\n".encode(), False, "longer than 131,072"),
    (b"path,class\ndemo/s000.fits,a\x00b\n", False, "NUL"),
    (b"path,class\ndemo/s000.fits,a,b\n", False, "line 2: 3 cells, expected 2"),
    (f"path,class\ndemo/s000.fits,{'y' * 300}\n".encode(), False, "longer than 200 characters"),
    (
        ("path,class\n" + LABELS + "elsewhere/x.fits,flat\nbob/x.fits,flat\n").encode(),
        True,
        "2 rows of import.csv were skipped: their spectra are not in the dataset toy",
    ),
]


@pytest.mark.parametrize(("data", "created", "says"), CSV_ROWS)
def test_a_label_csv_is_imported_or_refused_in_one_sentence(
    alice, labelling, settings, data, created, says
):
    (files.space_for(alice).files / "import.csv").write_bytes(data)
    form = {
        "name": "imported",
        "dataset": "toy",
        "schema": Session.CLASSES,
        "target": "class",
        "classes": "",
        "unit": "",
        "import_file": "import.csv",
        "per_class": 0,
    }
    answer = logged_in(alice).post("/labelling/", form, follow=True)
    assert answer.status_code == 200
    said = " ".join(str(m) for m in answer.context["messages"])
    assert says in said, said
    assert str(settings.DATA_DIR) not in said  # never a place on the server
    session = Session.objects.filter(owner=alice, name="imported").first()
    assert (session is not None) == created
    if created:
        assert sorted(session.classes) == ["absorption", "emission"]  # no "\ufeffpath"
        assert sorted(Label.objects.filter(session=session).values_list("path", flat=True)) == [
            "demo/s000.fits",
            "demo/s040.fits",
        ]


# --- the candidates export names its file safely, whatever the class -----------------------

CLASS_ROWS = [
    # ?class=                                       the file name gets
    ("flat", 'attachment; filename="candidates-{pk}-1-flat.csv"'),
    ("a\nb", 'attachment; filename="candidates-{pk}-1-a_b.csv"'),
    ("a\r\nSet-Cookie: x=1", 'attachment; filename="candidates-{pk}-1-a_Set-Cookie_x_1.csv"'),
    ('say "hi"', 'attachment; filename="candidates-{pk}-1-say_hi.csv"'),
    ("../../etc/passwd", 'attachment; filename="candidates-{pk}-1-etc_passwd.csv"'),
    ("étoile", "attachment; filename*=utf-8''candidates-{pk}-1-%C3%A9toile.csv"),
    ("", 'attachment; filename="candidates-{pk}-1-all.csv"'),
]


@pytest.mark.parametrize(("wanted", "header"), CLASS_ROWS)
def test_the_candidates_file_name_is_safe(alice, labelling, wanted, header):
    answer = logged_in(alice).get(
        f"/labelling/{labelling.pk}/rounds/1/candidates/", {"class": wanted, "format": "csv"}
    )
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == header.format(pk=labelling.pk)
    assert "Set-Cookie" not in answer.headers


def test_control_characters_in_the_class_leave_the_votable_valid(alice, labelling):
    from astropy.io.votable import parse

    answer = logged_in(alice).get(
        f"/labelling/{labelling.pk}/rounds/1/candidates/",
        {"class": "fl\x00at\x01\n", "format": "votable"},
    )
    assert answer.status_code == 200
    table = parse(io.BytesIO(answer.content)).get_first_table()
    assert len(table.array) == 0  # no such class: no rows, and no error
