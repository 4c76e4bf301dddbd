"""The VO services (SSAP, DataLink, SODA, files, previews, candidates) as data: who reaches
whose spectra with which credential, and bad parameters answered with one readable
sentence, never a traceback or a server path."""

from __future__ import annotations

import pytest
from django.conf import settings

from services.vo_serve.catalogue import spectrum_id
from tests.vo.conftest import DATASET, ONDREJOV, completed_score_job, put_spectra, space_of
from vocloud.accounts.models import ApiToken
from vocloud.signed_links import revoke_all
from vocloud.vo.capability import capability_for

pytestmark = pytest.mark.django_db
ALICE_ID = spectrum_id(DATASET, ONDREJOV)
CREDENTIALS = [
    "anonymous",
    "alice-token",
    "alice-capability",
    "bob-token",
    "bob-capability",
    "tampered-capability",
    "revoked-capability",
]
OK, GONE, DENIED = 200, 404, 401
D = DENIED
# what the request is about -> (path and query, answer per credential in CREDENTIALS order)
#   "rows:n": a 200 VOTable with n rows (bob's own service finds his own four, none of alice's)
# fmt: off
# (what, request, (anonymous, alice-token, alice-cap, bob-token, bob-cap, tampered, revoked))
MATRIX = [
    ("ssa", "ssa?REQUEST=queryData", (D, "rows:4", "rows:4", "rows:4", "rows:4", D, D)),
    ("links", f"datalink?ID={ALICE_ID}", (D, "rows:3", "rows:3", "rows:1", "rows:1", D, D)),
    ("this", f"this?ID={ALICE_ID}", (D, OK, OK, GONE, GONE, D, D)),
    ("preview", f"preview?ID={ALICE_ID}", (D, OK, OK, GONE, GONE, D, D)),
    ("soda", f"soda?ID={ALICE_ID}&BAND=6.5e-7 6.6e-7", (D, OK, OK, GONE, GONE, D, D)),
    ("candidates", "candidates/JOB", (D, "rows:3", "rows:3", GONE, GONE, D, D)),
    # a path that would leave bob's storage for alice's, as an identifier
    ("escape", "this?ID=vocloud:dataset/real/../../ALICE/files/spectra/oe270005.fits",
     (D, GONE, GONE, GONE, GONE, D, D)),
]
# fmt: on
CASES = [
    (credential, name, where, want)
    for name, where, wants in MATRIX
    for credential, want in zip(CREDENTIALS, wants, strict=True)
]


@pytest.fixture
def world(alice, bob):
    paths = put_spectra(space_of(alice))
    put_spectra(space_of(bob), dataset="bobs")  # bob has the same files, of his own
    job = completed_score_job(alice, paths, space_of(alice).root / "job-results")
    revoked = capability_for(alice)
    revoke_all(alice)
    return {
        "alice-token": ApiToken.issue(alice, "t")[1],
        "bob-token": ApiToken.issue(bob, "t")[1],
        "alice-capability": capability_for(alice),
        "bob-capability": capability_for(bob),
        "revoked-capability": revoked,
        "job": job.job_id,
        "alice": alice.pk,
    }


def request(client, world, credential: str, where: str):
    where = where.replace("JOB", world["job"]).replace("ALICE", str(world["alice"]))
    headers = {}
    if credential.endswith("-token"):
        headers["HTTP_AUTHORIZATION"] = f"Token {world[credential]}"
    if credential.endswith("capability"):
        capability = world.get(credential) or world["alice-capability"][:-3] + "xyz"
        url = f"/vo/c/{capability}/{where}"
    else:
        url = f"/vo/{where}"
    response = client.get(url, **headers)
    response.close()
    return response


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize(("credential", "name", "where", "want"), CASES)
def test_vo_access(client, world, credential, name, where, want):
    response = request(client, world, credential, where)
    if isinstance(want, str):  # "rows:n"
        assert response.status_code == 200, (credential, name, response.content[:300])
        assert response.content.count(b"<TR>") == int(want.split(":")[1]), (credential, name)
        if credential.startswith("bob") and name == "ssa":
            assert b"dataset/real/" not in response.content  # bob's answer is bob's
        if name == "links" and want == "rows:1":
            assert b"NotFoundFault" in response.content  # bob learns nothing but "not here"
    else:
        assert response.status_code == want, (credential, name, body_of(response)[:300])
    if response.status_code == DENIED:
        assert b"AuthenticationError" in response.content


BAD = [
    ("ssa?POS=garbage", 400, b"POS must be"),
    ("ssa?POS=10,20&SIZE=-5", 400, b"SIZE must be a diameter"),
    ("ssa?BAND=%3Cscript%3E", 400, b"BAND must be"),
    ("ssa?TIME=soon", 400, b"TIME must be"),
    ("ssa?MAXREC=-3", 400, b"MAXREC must be"),
    ("ssa?MAXREC=" + "9" * 17, 200, b"<TR>"),  # served, cut to the service's limit
    ("ssa?POS=" + "1" * 5000, 400, b"longer than"),
    ("ssa?FORMAT=text/html%3Cb%3E", 400, b"FORMAT"),
    ("datalink", 400, b"ID is required"),
    ("datalink?ID=x&RESPONSEFORMAT=html", 400, b"RESPONSEFORMAT"),
    (f"soda?ID={ALICE_ID}&BAND=1/2", 400, b"BAND must be 'lo hi'"),
    (f"soda?ID={ALICE_ID}&BAND=7e-7 6e-7", 400, b"lower limit is above"),
    (f"soda?ID={ALICE_ID}&CIRCLE=1 2 3", 400, b"cut by BAND only"),
    (f"soda?ID={ALICE_ID}&BAND=4e-7 4.1e-7", 204, b""),  # no pixel in the band: no content
    ("soda?BAND=6e-7 7e-7", 400, b"ID is required"),
    ("this?ID=" + "x" * 5000, 400, b"ID is longer than"),
    ("this?ID=vocloud:files/../../../etc/passwd", 404, b"NotFoundFault"),
    ("candidates/nope", 404, b"no completed score or assess job"),
]


@pytest.mark.parametrize(("where", "status", "says"), BAD)
def test_bad_parameters_get_one_sentence_and_no_internals(client, world, where, status, says):
    response = request(client, world, "alice-token", where)
    body = body_of(response)
    assert response.status_code == status, body[:300]
    assert says in body
    assert b"Traceback" not in body and str(settings.DATA_DIR).encode() not in body


def test_datalink_many_ids_are_refused_in_one_sentence(client, world):
    ids = "&".join(f"ID=x{i}" for i in range(1001))
    response = request(client, world, "alice-token", f"datalink?{ids}")
    assert response.status_code == 400 and b"at most 1000 IDs" in response.content


def test_an_expired_capability_is_refused(client, world, settings):
    settings.VOCLOUD_VO_URL_LIFETIME = -1
    response = request(client, world, "alice-capability", "ssa")
    assert response.status_code == DENIED and b"expired" in response.content
