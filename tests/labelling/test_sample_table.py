"""The sample and candidates tables TOPCAT gets: every column described, sky columns only
when the spectra have positions, a VOTable that votlint passes."""

from __future__ import annotations

import io
import subprocess
from shutil import which

import numpy as np
import pytest
from astropy.io.votable import parse_single_table

from vocloud.labelling import exports
from vocloud.labelling.models import Round

N = 6


def sample(ra: np.ndarray, dec: np.ndarray) -> dict[str, np.ndarray]:
    """A projected sample as sample_cache.round_sample gives it (classes)."""
    rng = np.random.default_rng(3)
    return {
        "row": np.arange(N) * 2,
        "path": np.array([f"demo/s{i:03d}.fits" for i in range(N)]),
        "object": np.array(["=HYPERLINK(x)", *(f"HD {i}" for i in range(1, N))]),
        "score": rng.random(N),
        "x": rng.standard_normal(N),
        "y": rng.standard_normal(N),
        "rank": np.arange(N),
        "predicted": np.array(["emission", "flat"] * (N // 2)),
        "confidence": rng.uniform(0.5, 1.0, N),
        "ra": ra,
        "dec": dec,
    }


def fields(body: bytes) -> dict:
    table = parse_single_table(io.BytesIO(body))
    return {field.name: field for field in table.fields}


def test_without_positions_there_are_no_sky_columns_and_every_column_is_described():
    nan = np.full(N, np.nan)
    table = exports.sample_table(sample(nan, nan), {"demo/s001.fits": {"value": "flat"}})
    assert "ra" not in table and "dec" not in table
    body, mime, suffix = exports.render(table, "votable", "toy round 1 sample")
    assert (mime, suffix) == ("application/x-votable+xml", "vot")
    found = fields(body)
    columns = "id path object x y uncertainty prediction probability label"
    assert list(found) == columns.split()
    for name, field in found.items():
        assert field.ucd and field.description, name
    assert not any("pos.eq" in field.ucd for field in found.values())
    assert found["x"].ucd == "pos.cartesian.x" and "2-D map" in found["x"].description
    # one name for one number: the page's "uncertainty (BALD)" is this column
    assert "acquisition function" in found["uncertainty"].description
    assert found["probability"].ucd == "stat.probability"


def test_a_cold_start_round_calls_its_score_typicality():
    cold, trained = Round(options={"cold_start": True}), Round(options={"k": 30})
    assert (exports.score_column(cold), exports.score_column(trained)) == (
        "typicality",
        "uncertainty",
    )
    nan = np.full(N, np.nan)
    table = exports.candidates(sample(nan, nan), "", {}, score="typicality")
    assert "uncertainty" not in table and np.all(np.isfinite(table["typicality"]))
    found = fields(exports.render(table, "votable", "cold round 1 sample")[0])
    assert "TypiClust" in found["typicality"].description


def test_one_position_is_enough_for_the_sky_columns_and_votlint_passes(tmp_path):
    ra, dec = np.full(N, np.nan), np.full(N, np.nan)
    ra[2], dec[2] = 10.5, -20.25
    states = {"demo/s002.fits": {"value": "flat", "verdict": "yes"}}
    table = exports.candidates(sample(ra, dec), "", states)
    body, _mime, _suffix = exports.render(table, "votable", "candidates")
    found = fields(body)
    assert (found["ra"].ucd, str(found["ra"].unit)) == ("pos.eq.ra;meta.main", "deg")
    assert (found["dec"].ucd, str(found["dec"].unit)) == ("pos.eq.dec;meta.main", "deg")
    assert (
        found["verdict"].ucd == "meta.code.qual" and "Am I correct" in found["verdict"].description
    )
    assert all(field.description for field in found.values())
    csv_head = exports.render(table, "csv", "candidates")[0].decode().splitlines()[0]
    assert csv_head == "id,path,object,ra,dec,x,y,uncertainty,prediction,probability,label,verdict"
    if not which("stilts"):
        pytest.skip("stilts (votlint) is not installed")
    target = tmp_path / "candidates.vot"
    target.write_bytes(body)
    done = subprocess.run(
        ["stilts", "votlint", f"votable={target}"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
