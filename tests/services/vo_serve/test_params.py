"""SSAP and SODA parameters: what each form means, and one readable sentence for each bad one."""

from __future__ import annotations

import math

import pytest

from services.vo_serve.errors import UsageError
from services.vo_serve.params import (
    DEFAULT_SIZE_DEG,
    parse_soda_band,
    parse_ssa,
)


def ssa(**params: str):
    return parse_ssa({k: [v] for k, v in params.items()}, default_maxrec=100, hard_maxrec=1000)


def test_a_cone_is_a_centre_and_a_diameter():
    query = ssa(REQUEST="queryData", POS="10.5,-20;ICRS", SIZE="0.5")
    assert query.pos == (10.5, -20.0) and query.size_deg == 0.5
    assert ssa(POS="10,20").size_deg == DEFAULT_SIZE_DEG


def test_band_and_time_may_be_open_on_one_side():
    assert ssa(BAND="4e-7/7e-7").band_m == (4e-7, 7e-7)
    assert ssa(BAND="/7e-7").band_m == (-math.inf, 7e-7)
    assert ssa(BAND="6.5e-7").band_m == (6.5e-7, 6.5e-7)  # the spectrum must cover it
    start, end = ssa(TIME="2012-01-01/").time_mjd
    assert start == pytest.approx(55927.0) and end == math.inf


def test_format_words_become_mime_types_and_metadata_asks_for_no_rows():
    assert ssa(FORMAT="fits").formats == ("application/fits",)
    assert ssa(FORMAT="votable,application/fits").formats == (
        "application/fits",
        "application/x-votable+xml",
    )
    assert ssa(FORMAT="ALL").formats is None
    assert ssa(FORMAT="METADATA").metadata


def test_maxrec_beyond_the_limit_is_cut_to_it():
    assert ssa().maxrec == 100
    assert ssa(MAXREC="0").maxrec == 0
    assert ssa(MAXREC="9" * 18).maxrec == 1000


BAD = [
    ({"POS": "garbage"}, "POS must be 'ra,dec'"),
    ({"POS": "1,2,3"}, "POS must be"),
    ({"POS": "400,0"}, "outside"),
    ({"POS": "nan,0"}, "NaN"),
    ({"POS": "10,20;GALACTIC"}, "only ICRS"),
    ({"POS": "1," + "9" * 300}, "longer than"),
    ({"POS": "10,20", "SIZE": "-1"}, "SIZE must be a diameter"),
    ({"POS": "10,20", "SIZE": "abc"}, "SIZE must be"),
    ({"SIZE": "1"}, "SIZE needs POS"),
    ({"BAND": "abc"}, "BAND must be 'lo/hi'"),
    ({"BAND": "5e-7/4e-7"}, "lower limit is above"),
    ({"BAND": "1/2/3"}, "BAND must be"),
    ({"BAND": "-2/-1"}, "positive"),
    ({"TIME": "yesterday"}, "TIME must be 'start/end'"),
    ({"TIME": "2013-01-01/2012-01-01"}, "start is after the end"),
    ({"TIME": "2012-13-45"}, "not a date"),
    ({"FORMAT": "<script>"}, "FORMAT"),
    ({"MAXREC": "-1"}, "MAXREC must be a whole number"),
    ({"MAXREC": "1e3"}, "MAXREC must be"),
    ({"MAXREC": "9" * 30}, "MAXREC must be"),
    ({"REQUEST": "getData"}, "REQUEST must be queryData"),
]


@pytest.mark.parametrize(("params", "says"), BAD)
def test_a_bad_parameter_is_refused_with_its_name_and_form(params, says):
    with pytest.raises(UsageError, match=says.replace("(", r"\(")):
        ssa(**params)


def test_a_parameter_given_twice_is_refused():
    with pytest.raises(UsageError, match="POS given 2 times"):
        parse_ssa({"pos": ["1,2"], "POS": ["3,4"]}, default_maxrec=1, hard_maxrec=1)


def test_soda_band_is_lo_space_hi_in_metres():
    assert parse_soda_band(["6.5e-7 6.6e-7"]) == (6.5e-7, 6.6e-7)
    assert parse_soda_band(["-Inf 6.6e-7"]) == (-math.inf, 6.6e-7)
    assert parse_soda_band([]) is None
    for bad, says in [
        (["6.5e-7/6.6e-7"], "BAND must be 'lo hi'"),
        (["a b"], "BAND must be"),
        (["7e-7 6e-7"], "lower limit is above"),
        (["1 2", "3 4"], "one BAND"),
    ]:
        with pytest.raises(UsageError, match=says):
            parse_soda_band(bad)
