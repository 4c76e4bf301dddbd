"""The frozen label snapshot CSV: round trip and validation."""

from __future__ import annotations

import math

import pytest

from services.demo.labels import LabelsError, as_float, read_labels, write_labels


def test_labels_round_trip_with_missing_values(tmp_path):
    rows = [
        {"path": "demo/miles/a.fits", "class": "G", "teff": 5305.0, "logg": 4.49, "feh": -0.75},
        {"path": "demo/miles/b.fits", "class": "K", "teff": 4167.0, "logg": 0.95, "feh": math.nan},
        {"path": "demo/miles/c d.fits", "class": None, "teff": 9000.5, "logg": 4.0, "feh": 0.1},
    ]
    target = tmp_path / "labels.csv"
    assert write_labels(target, rows, ["class", "teff", "logg", "feh"]) == 3
    assert target.read_text().splitlines()[0] == "path,class,teff,logg,feh"
    columns, back = read_labels(target)
    assert columns == ["class", "teff", "logg", "feh"]
    assert [row["path"] for row in back] == [row["path"] for row in rows]
    assert [row["class"] for row in back] == ["G", "K", ""]
    assert as_float(back[0]["teff"]) == 5305.0
    assert as_float(back[2]["teff"]) == 9000.5
    assert math.isnan(as_float(back[1]["feh"]))
    assert not list(tmp_path.glob(".labels.csv.*"))  # no temporary file left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("class\nG\n", "'path' column"),
        ("path\na.fits\n", "label column"),
        ("path,class\n../escape.fits,G\n", "bad path"),
        ("path,class\n/etc/passwd,G\n", "bad path"),
        ("path,class\n,G\n", "empty path"),
        ("path,class\na.fits,G\n./a.fits,K\n", "appears twice"),
        ("path,class\na.fits,G,extra\n", "3 cells, expected 2"),
    ],
)
def test_malformed_snapshots_are_refused(tmp_path, text, message):
    target = tmp_path / "labels.csv"
    target.write_text(text)
    with pytest.raises(LabelsError, match=message):
        read_labels(target)
