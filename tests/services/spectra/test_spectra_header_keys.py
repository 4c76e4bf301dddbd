"""Common spellings of observation-date keywords: DATE-OBS and DATE_OBS, MJD-OBS and MJD_OBS..."""

from __future__ import annotations

from typing import Any

import pytest

from services.spectra.header_meta import meta_from_header


def _date(cards: dict[str, Any]) -> str | None:
    return meta_from_header(cards, source="x.fits", fmt="test").obs_date


@pytest.mark.parametrize(
    ("cards", "expected"),
    [
        ({"DATE-OBS": "2005-05-27", "UT": "22:00:02"}, "2005-05-27T22:00:02"),
        ({"DATE_OBS": "2017-10-04", "TIME_OBS": "09:32:11.2"}, "2017-10-04T09:32:11.2"),
        ({"DATE_OBS": "2017-10-04T09:32:11"}, "2017-10-04T09:32:11"),
        ({"DATEOBS": "2001-01-02"}, "2001-01-02"),
        ({"DATE-OBS": "", "DATE_OBS": "2002-03-04"}, "2002-03-04"),
        ({"MJD_OBS": 58030.5}, "2017-10-04T12:00:00"),
        ({"MJD-OBS": 58030.5, "MJD": 1.0}, "2017-10-04T12:00:00"),
        ({"JD": 2458031.0}, "2017-10-04T12:00:00"),
        ({"DATE_OBS": "12/10/98"}, "1998-10-12"),
        ({"JD": 12.0}, None),
        ({}, None),
    ],
)
def test_observation_date_from_any_common_spelling(cards: dict[str, Any], expected: str) -> None:
    assert _date(cards) == expected
