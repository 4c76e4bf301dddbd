"""The portal's SSAP preview shows what ingest would take: SIZE as a diameter everywhere."""

from __future__ import annotations

import pytest

from services.vo import separation_deg
from tests.support.dachs_like import DachsLikeServer
from tests.support.remote import REMOTE_HOST
from tests.support.vo_catalogue import make_synthetic


@pytest.fixture
def dachs(tmp_path):
    with DachsLikeServer(make_synthetic(tmp_path / "spectra", n=30, seed=42)) as server:
        yield server


def test_the_preview_leaves_out_what_lies_beyond_the_diameter_and_says_why(
    client, alice, settings, dachs
):
    settings.VOCLOUD_FETCH_ALLOW = REMOTE_HOST
    client.force_login(alice)
    centre = next(iter(dachs.datasets.values()))
    offered = list(dachs.datasets.values())
    distance = separation_deg(
        centre.ra, centre.dec, [d.ra for d in offered], [d.dec for d in offered]
    )
    inside, ring = int((distance <= 2).sum()), int(((distance > 2) & (distance <= 4)).sum())
    assert ring  # the seeded positions put some between the radius and the diameter
    form = {"ssap_url": dachs.ssap_url, "pos": f"{centre.ra},{centre.dec}", "size": "4"}
    page = client.post("/ssap/", {**form, "maxrec": "1000", "preview": "1"}).content.decode()
    assert f"{inside} spectr" in page
    plural = "results" if ring > 1 else "result"
    assert f"{ring} {plural} outside the 4° diameter you asked for" in page
    assert "the service reads SIZE as a radius" in page
