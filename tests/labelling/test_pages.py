"""Labelling pages and endpoints: owner only, CSRF, clear errors, exports, signed sample."""

from __future__ import annotations

import json
import subprocess
import time
from shutil import which

import pytest
from astropy.io.votable import parse_single_table
from django.test import Client

from vocloud.labelling import exports, operations

pytestmark = pytest.mark.django_db


def urls(session) -> list[str]:
    base = f"/labelling/{session.pk}"
    return [
        f"{base}/",
        f"{base}/rounds/1/",
        f"{base}/rounds/1/status/",
        f"{base}/rounds/1/spectrum/?rank=0",
        f"{base}/rounds/1/candidates/",
        f"{base}/rounds/1/candidates/?format=csv",
        f"{base}/rounds/1/samp/",
    ]


def test_only_the_owner_sees_a_session(labelling, client, alice, bob):
    for url in urls(labelling):
        assert client.get(url).status_code == 302, url  # anonymous: to the login page
    client.force_login(bob)
    for url in urls(labelling):
        assert client.get(url).status_code == 404, url
    for url in (f"/labelling/{labelling.pk}/labels/", f"/labelling/{labelling.pk}/undo/"):
        assert client.post(url, "{}", content_type="application/json").status_code == 404
    assert "toy" not in client.get("/labelling/").content.decode()
    client.force_login(alice)
    for url in urls(labelling):
        assert client.get(url).status_code == 200, url


def test_the_labelling_view_embeds_the_sample_and_no_cdn(labelling, client, alice):
    client.force_login(alice)
    page = client.get(f"/labelling/{labelling.pk}/rounds/1/").content.decode()
    assert "static/bokeh/js/bokeh.min.js" in page and "cdn.bokeh.org" not in page
    assert '"points"' in page and "label-config" in page
    spectrum = client.get(f"/labelling/{labelling.pk}/rounds/1/spectrum/?rank=3").json()
    assert len(spectrum["wave"]) == len(spectrum["flux"]) == 64 and spectrum["prediction"]
    assert client.get(f"/labelling/{labelling.pk}/rounds/1/spectrum/?rank=999").status_code == 404


def test_labels_api_saves_and_answers_with_states_and_counts(labelling, client, alice):
    client.force_login(alice)
    url = f"/labelling/{labelling.pk}/labels/"
    body = {"paths": ["demo/s001.fits", "demo/s002.fits"], "value": "emission", "round": 1}
    answer = client.post(url, json.dumps(body), content_type="application/json").json()
    assert answer["states"]["demo/s001.fits"]["value"] == "emission"
    assert answer["counts"]["total"] == 17
    bad = client.post(url, json.dumps({**body, "value": "comet"}), content_type="application/json")
    assert bad.status_code == 400 and "not a class" in bad.json()["error"]
    junk = client.post(url, "not json", content_type="application/json")
    assert junk.status_code == 400 and "JSON" in junk.json()["error"]
    undone = client.post(f"/labelling/{labelling.pk}/undo/").json()
    assert sorted(undone["paths"]) == ["demo/s001.fits", "demo/s002.fits"]
    assert undone["counts"]["total"] == 15


def test_label_posts_need_the_csrf_token(labelling, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    body = json.dumps({"paths": ["demo/s001.fits"], "value": "flat"})
    response = client.post(
        f"/labelling/{labelling.pk}/labels/", body, content_type="application/json"
    )
    assert response.status_code == 403
    assert operations.counts(labelling)["total"] == 15


def test_candidates_export_csv_and_votable(labelling, client, alice):
    client.force_login(alice)
    base = f"/labelling/{labelling.pk}/rounds/1/candidates/"
    csv_text = client.get(base + "?class=flat&format=csv").content.decode().splitlines()
    # the toy spectra have no sky position: no ra/dec columns (tests/labelling/test_sample_table.py)
    assert csv_text[0].startswith("id,path,object,x,y,uncertainty,prediction,probability,label")
    assert all(",flat," in line for line in csv_text[1:])
    probability = [float(line.split(",")[7]) for line in csv_text[1:]]
    assert probability == sorted(probability, reverse=True)  # most confident first
    response = client.get(base + "?class=flat&format=votable")
    assert response["Content-Type"] == "application/x-votable+xml"
    assert "attachment" in response["Content-Disposition"]


def _signed_sample(client, session):
    links = client.get(f"/labelling/{session.pk}/rounds/1/samp/").json()
    return links, links["table_url"].split("testserver", 1)[1]


def test_the_signed_sample_downloads_without_a_session(labelling, client, alice, tmp_path):
    client.force_login(alice)
    operations.apply(labelling, ["demo/s001.fits"], mark="bad_data")
    links, path = _signed_sample(client, labelling)
    assert links["table_id"].startswith(f"vocloud-session-{labelling.pk}-round-1-")
    again, _path = _signed_sample(client, labelling)  # TOPCAT refuses a table-id it has seen
    assert again["table_id"] != links["table_id"]
    anonymous = Client()
    response = anonymous.get(path)
    assert response.status_code == 200
    target = tmp_path / "sample.vot"
    target.write_bytes(response.content)
    table = parse_single_table(target).to_table()
    assert len(table) == 30
    assert {"id", "prediction", "uncertainty", "label"} <= set(table.colnames)
    assert "ra" not in table.colnames  # all NaN: no sky position to claim
    if which("stilts"):
        done = subprocess.run(
            ["stilts", "votlint", f"votable={target}"], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_a_tampered_or_expired_sample_link_is_refused(labelling, client, alice, settings):
    client.force_login(alice)
    _links, path = _signed_sample(client, labelling)
    anonymous = Client()
    assert anonymous.get(path.replace("/signed/", "/signed/x")).status_code == 404
    round_ = labelling.rounds.get(number=1)
    token = exports.sign_sample(round_)
    assert anonymous.get(f"/labelling/signed/{token}/").status_code == 200
    settings.VOCLOUD_SIGNED_URL_LIFETIME = 1
    time.sleep(2.1)
    expired = anonymous.get(f"/labelling/signed/{token}/")
    assert expired.status_code == 404 and "expired" in expired.content.decode()


def test_a_round_needs_ten_labels_of_two_classes(alice, client, settings):
    from vocloud.labelling.models import Session

    session = Session.objects.create(owner=alice, name="empty", dataset="toy", classes=["A", "B"])
    client.force_login(alice)
    page = client.post(
        f"/labelling/{session.pk}/rounds/",
        {"epochs": 5, "acquisition": "bald", "k": 10, "method": "pca", "mc_samples": 5},
        follow=True,
    )
    assert "label at least 10 to train" in page.content.decode()
    assert not session.rounds.exists()
