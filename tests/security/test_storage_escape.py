"""Nobody gets out of their own storage: one containment point for every name.

Rows: attack -> expected refusal. The remote-name attacks run real ingest jobs on the
running platform against hostile listings (HTTP ``%2e%2e/``, encoded slashes; FTP names
with ``../`` and ``/``) and then search the whole data directory for what escaped; the
parameter attacks (a dataset or file of another user, absolute paths) are refused when the
job is created, through the real UWS API.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import basic
from tests.security.conftest import REAL_FITS
from tests.support.hostile import HostileFtp, HostileHttp
from tests.support.platform import run_job

FITS = REAL_FITS[0].read_bytes()


def stored_outside(data_dir, allowed, marker: str) -> list[str]:
    """Files named like the hostile ones (``marker``) anywhere in the data dir but under
    ``allowed``."""
    return sorted(
        str(path.relative_to(data_dir))
        for path in data_dir.rglob("*")
        if marker in path.name and not path.is_relative_to(allowed)
    )


@pytest.mark.platform
def test_an_http_listing_that_climbs_out_stores_everything_inside_the_target(platform, tmp_path):
    alice = platform.session("alice")
    with HostileHttp(FITS) as server:
        job = run_job(alice, platform, "ingest", URL=f"{server.url}/list/", TARGET="escape-http")
    target = platform.data_dir / "users" / "1" / "files" / "escape-http"
    assert stored_outside(platform.data_dir, target, "escaped-http") == []
    names = sorted(p.name for p in target.rglob("*.fits"))
    assert len(names) == 6 and "plain.fits" in names  # the hostile names, made harmless
    assert all(".." not in str(p.relative_to(target)) for p in target.rglob("*"))
    assert job.phase == "COMPLETED"


@pytest.mark.platform
def test_an_ftp_listing_with_parent_names_stores_nothing_outside(platform, tmp_path):
    (tmp_path / "pub").mkdir()
    alice = platform.session("alice")
    with HostileFtp(tmp_path, FITS) as server:
        run_job(alice, platform, "ingest", URL=f"{server.url}/pub/", TARGET="escape-ftp")
    target = platform.data_dir / "users" / "1" / "files" / "escape-ftp"
    assert stored_outside(platform.data_dir, target, "escaped-ftp") == []
    assert sorted(p.name for p in target.rglob("*.fits")) == ["plain-ftp.fits"]


PARAMETERS = [  # attack: kind, parameters -> a 400 at creation naming the parameter
    ("another user's dataset", "train", {"DATASET": "../../2/datasets/theirs", "LABELS_FILE": "l.csv"}, "DATASET"),  # noqa: E501
    ("a dataset by absolute path", "train", {"DATASET": "/srv/vocloud/users/2/datasets/x", "LABELS_FILE": "l.csv"}, "DATASET"),  # noqa: E501
    ("scoring another user's dataset", "score", {"DATASET": "../2/x"}, "DATASET"),
    ("a round on another user's dataset", "al-round", {"DATASET": ".."}, "DATASET"),
    ("another user's label file", "train", {"DATASET": "d", "LABELS_FILE": "../../2/files/l.csv"}, "LABELS_FILE"),  # noqa: E501
    ("an absolute label file", "train", {"DATASET": "d", "LABELS_FILE": "/etc/passwd"}, "LABELS_FILE"),  # noqa: E501
    ("another user's folders", "dataset", {"NAME": "n", "FOLDERS": "mine, ../../2/files"}, "FOLDERS"),  # noqa: E501
    ("an ingest target outside", "ingest", {"URL": "http://127.0.0.2:9/a.fits", "TARGET": "../../2/files"}, "TARGET"),  # noqa: E501
    ("verdicts of another user", "assess", {"SCORE": "0", "VERDICTS_FILE": "../2/v.csv"}, "VERDICTS_FILE"),  # noqa: E501
    ("exclusions from another user", "score", {"DATASET": "d", "EXCLUDE_LABELLED": "/x"}, "EXCLUDE_LABELLED"),  # noqa: E501
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("attack", "kind", "values", "name"), PARAMETERS, ids=[p[0] for p in PARAMETERS]
)
def test_parameters_that_name_paths_outside_are_refused_at_creation(
    client, alice, attack, kind, values, name
):
    from vocloud.uws.models import Job

    response = client.post(f"/uws/{kind}/async", values, **basic("alice"))
    body = response.content.decode()
    assert response.status_code == 400, body
    assert body.startswith("UsageError: ") and name in body, body
    assert not Job.objects.exists()


UPLOADS = [  # attack: a file-manager upload whose relative path leaves the folder
    ("a name longer than the file system allows", "d/" + "n" * 300 + ".txt"),
    ("a path longer than the file system allows", "/".join(["d" * 200] * 30) + "/x.txt"),
    ("a control character in a name", "planted\nx.txt"),
    # refused before issue 11 too (the rows above failed on 363bb2a, checked)
    ("held before: a folder upload climbing out", "../../2/files/planted.txt"),
    ("held before: an absolute folder upload", "/etc/planted.txt"),
    ("held before: a NUL in a name", "a\x00b.txt"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("attack", "relative"), UPLOADS, ids=[u[0] for u in UPLOADS])
def test_file_manager_upload_paths_stay_inside_and_say_why(client, alice, attack, relative):
    from django.conf import settings

    client.force_login(alice)
    page = client.post(
        "/files/upload/",
        {
            "folder": "",
            "tree": SimpleUploadedFile("planted.txt", b"x"),
            "tree_paths": relative,
        },
        follow=True,
    )
    assert page.status_code == 200
    assert "Upload refused" in page.content.decode()
    assert not [p for p in settings.DATA_DIR.rglob("*") if p.is_file() and "planted" in p.name]
