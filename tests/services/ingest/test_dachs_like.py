"""Ingest against a local service that answers like GAVO DaCHS 2.7 (issue 13, part 2).

SIZE read as a radius, fresh random VOTable IDs in every answer, DataLink error rows,
SODA at ``/sdl/dlget`` answering 204 on an empty BAND: the job completes, stores each
spectrum once, and its report counts what was stored, already there, outside the cone and
failed (with the service's words).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import requests
from astropy.io.votable import parse

from services import ingest
from services.vo import separation_deg
from tests.support.dachs_like import NOT_FOUND, DachsLikeServer

BAND_M = (5.5e-7, 6.0e-7)
SIZE_DEG = 6.0


@pytest.fixture
def dachs(synthetic):
    with DachsLikeServer(synthetic[:40]) as server:
        yield server


def run(ctx, **values) -> tuple[dict[str, dict], dict[str, str], list[str]]:
    """Run an ingest in-process: (rows by source, INFO counts, notes) of its report."""
    ingest.run(ingest.Parameters(**values), ctx)
    votable = parse(str(ctx.results_dir / "report.vot"))
    table = votable.get_first_table().to_table()
    rows = {str(row["source"]): {k: str(row[k]) for k in table.colnames} for row in table}
    infos = {i.name: i.value for i in votable.resources[0].infos if i.name != "note"}
    notes = [i.value for i in votable.resources[0].infos if i.name == "note"]
    return rows, infos, notes


def overlaps(d) -> bool:
    return d.wave_hi_m >= BAND_M[0] and d.wave_lo_m <= BAND_M[1]


def test_a_dachs_like_service_ingests_completed_with_the_right_counts(ctx, dachs, synthetic):
    centre = synthetic[0]
    offered = synthetic[:40]
    distance = separation_deg(
        centre.ra, centre.dec, [d.ra for d in offered], [d.dec for d in offered]
    )
    inside = [d for d, r in zip(offered, distance, strict=True) if r <= SIZE_DEG / 2]
    ring = [d for d, r in zip(offered, distance, strict=True) if SIZE_DEG / 2 < r <= SIZE_DEG]
    far = [d for d, r in zip(offered, distance, strict=True) if r > SIZE_DEG]
    assert len(inside) >= 4 and ring and far  # the seeded positions give all three kinds
    withdrawn = next(d for d in inside[1:] if overlaps(d))
    unplaced = far[0]  # listed without a position, whatever the cone
    dachs.withdrawn.add(withdrawn.id)
    dachs.no_position.add(unplaced.id)
    empty = [d for d in [*inside, unplaced] if not overlaps(d) and d is not withdrawn]
    stored = [d for d in [*inside, unplaced] if overlaps(d) and d is not withdrawn]
    assert empty and stored

    params = {
        "ssap_url": dachs.ssap_url,
        "pos": f"{centre.ra},{centre.dec}",
        "size": SIZE_DEG,
        "soda_band": f"{BAND_M[0]} {BAND_M[1]}",
    }
    rows, infos, notes = run(ctx, **params, target="first")  # COMPLETED: no JobFailure

    statuses = Counter(row["status"] for row in rows.values())
    assert statuses == {"ok": len(stored), "failed": len(empty) + 1}
    assert infos["n_ok"] == str(len(stored)) and infos["n_failed"] == str(len(empty) + 1)
    assert infos["n_outside_cone"] == str(len(ring))
    assert infos["n_without_position"] == "1"
    said = f"{len(ring)} results outside the 6° diameter you asked for were left out"
    assert f"{said}: the service reads SIZE as a radius" in notes
    assert "1 result has no position and was kept (not checked against the 6° cone)" in notes

    failed = [row["reason"] for row in rows.values() if row["status"] == "failed"]
    assert sum(r == f"DataLink: {NOT_FOUND}" for r in failed) == 1  # the service's words
    assert sum("HTTP 204" in r for r in failed) == len(empty)
    assert all("Traceback" not in r for r in failed)
    ok = [row for row in rows.values() if row["status"] == "ok"]
    # marked from the SODA descriptor used, though the URL (/sdl/dlget) never says "soda"
    assert all(row["reason"].startswith("SODA cut-out (BAND 5.5e-07 to 6e-07 m;") for row in ok)
    assert all(int(row["n_pix"]) < 400 for row in ok)

    again, infos, notes = run(ctx, **params, target="second")
    statuses = Counter(row["status"] for row in again.values())
    assert statuses == {"skipped": len(stored), "failed": len(empty) + 1}
    assert f"{len(stored)} already in your storage (not stored again)" in notes
    assert all(
        row["reason"] == "already in your storage (the same dataset identifier)"
        and row["path"].startswith("first/")
        for row in again.values()
        if row["status"] == "skipped"
    )
    files = sorted(p.name for p in ctx.user_space.files.rglob("*") if p.is_file())
    assert len(files) == len(stored) and not any("(1)" in name for name in files)


def test_spectra_without_an_identifier_are_known_by_their_content(ctx, dachs, synthetic, tmp_path):
    url = dachs.product_url(synthetic[1])
    first, second = (requests.get(url, timeout=5).content for _ in range(2))
    assert first != second  # fresh random IDs: the bytes never repeat

    rows, _, _ = run(ctx, ssap_url=dachs.ssap_url, maxrec=3, target="by-did")
    assert Counter(r["status"] for r in rows.values()) == {"ok": 3}
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(dachs.product_url(d) + "\n" for d in synthetic[:5]))
    rows, _, notes = run(ctx, url_list=listing, target="by-url")
    reasons = [rows[dachs.product_url(d)]["reason"] for d in synthetic[:5]]
    assert reasons[:3] == ["already in your storage (the same spectrum)"] * 3
    assert [rows[dachs.product_url(d)]["status"] for d in synthetic[:5]] == ["skipped"] * 3 + [
        "ok"
    ] * 2
    rows, _, notes = run(ctx, url_list=listing, target="by-url-again")
    assert {r["status"] for r in rows.values()} == {"skipped"}
    assert "nothing new: all 5 already in your storage" in notes


def test_one_unknown_id_in_a_datalink_document_fails_alone(ctx, dachs, synthetic, tmp_path):
    ids = [d.id for d in synthetic[:3]] + ["ivo://org.gavo.dc/~?nowhere/42"]
    document = requests.Request("GET", f"{dachs.url}/dlmeta", params={"ID": ids}).prepare().url
    listing = tmp_path / "urls.txt"
    listing.write_text(document + "\n")
    rows, infos, _ = run(ctx, url_list=listing)
    assert infos["n_ok"] == "3" and infos["n_failed"] == "1"
    unknown = rows[f"{document} [{ids[-1]}]"]
    assert unknown["status"] == "failed" and unknown["reason"] == f"DataLink: {NOT_FOUND}"
    assert [rows[f"{document} [{i}]"]["status"] for i in ids[:3]] == ["ok"] * 3


def test_separation_matches_astropy_at_every_scale():
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    rng = np.random.default_rng(3)
    ra1, dec1 = rng.uniform(0, 360, 200), rng.uniform(-90, 90, 200)
    step = 10.0 ** rng.uniform(-7, 2, 200)  # 0.36 mas to 100 degrees
    ra2, dec2 = ra1 + step, np.clip(dec1 - step / 2, -90, 90)
    expected = SkyCoord(ra1 * u.deg, dec1 * u.deg).separation(SkyCoord(ra2 * u.deg, dec2 * u.deg))
    assert np.allclose(separation_deg(ra1, dec1, ra2, dec2), expected.deg, rtol=1e-9, atol=1e-12)
