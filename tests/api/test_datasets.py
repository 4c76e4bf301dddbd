"""Datasets through the JSON API: only the rows asked for, as .npy; the metadata table."""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.table import Table

from tests.api.conftest import API, write_dataset

pytestmark = pytest.mark.django_db


def npy(response) -> np.ndarray:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/octet-stream"
    body = b"".join(response.streaming_content)
    assert len(body) == int(response["Content-Length"])
    return np.load(io.BytesIO(body), allow_pickle=False)


def test_list_and_info(alice, as_alice):
    write_dataset(alice)
    listed = as_alice.get(f"{API}/datasets/").json()["datasets"]
    assert [(d["name"], d["n_spectra"], d["n_pix"]) for d in listed] == [("stars", 7, 11)]
    info = as_alice.get(f"{API}/datasets/stars/").json()
    assert info["version"] == 1 and info["grid"]["spacing"] == "linear"
    assert "path" in info["columns"] and "ra" in info["columns"]


def test_arrays_give_only_the_rows_asked(alice, as_alice):
    arrays = write_dataset(alice)
    url = f"{API}/datasets/stars/arrays"
    assert np.array_equal(npy(as_alice.get(f"{url}/wave")), arrays["wave"])
    part = npy(as_alice.get(f"{url}/flux", {"start": 2, "stop": 5}))
    assert part.dtype == np.float32 and np.array_equal(part, arrays["flux"][2:5])
    picked = npy(as_alice.get(f"{url}/ivar", {"rows": "6,0,3"}))
    assert np.array_equal(picked, arrays["ivar"][[6, 0, 3]])
    mask = npy(as_alice.get(f"{url}/mask", {"rows": "1"}))
    assert mask.dtype == bool and np.array_equal(mask, arrays["mask"][[1]])
    assert np.array_equal(npy(as_alice.get(f"{url}/flux")), arrays["flux"])
    assert npy(as_alice.get(f"{url}/flux", {"start": 5, "stop": 99})).shape == (2, 11)


def test_the_body_holds_exactly_the_rows_asked(alice, as_alice):
    write_dataset(alice, n=40)
    one = as_alice.get(f"{API}/datasets/stars/arrays/flux", {"rows": "3"})
    all_rows = as_alice.get(f"{API}/datasets/stars/arrays/flux")
    header = int(one["Content-Length"]) - 11 * 4
    assert int(all_rows["Content-Length"]) - header == 40 * 11 * 4


@pytest.mark.parametrize(
    "query, words",
    [
        ({"rows": "1,x"}, "row numbers separated by commas"),
        ({"rows": "7"}, "past the last row"),
        ({"start": "-1"}, "start must be a whole number"),
        ({"start": "5", "stop": "2"}, "after stop"),
        ({"rows": "1", "start": "0"}, "not both"),
    ],
)
def test_bad_rows_are_refused_with_a_sentence(alice, as_alice, query, words):
    write_dataset(alice)
    response = as_alice.get(f"{API}/datasets/stars/arrays/flux", query)
    assert response.status_code == 400 and words in response.json()["error"]


def test_unknown_arrays_and_datasets_are_404(alice, as_alice):
    write_dataset(alice)
    assert as_alice.get(f"{API}/datasets/stars/arrays/meta").status_code == 404
    for name in ("nope", "..", "a b"):
        response = as_alice.get(f"{API}/datasets/{name}/")
        assert response.status_code == 404 and response.json() == {"error": "No such dataset."}


def test_meta_as_fits_or_votable_and_only_some_rows(alice, as_alice):
    write_dataset(alice)
    fits = as_alice.get(f"{API}/datasets/stars/meta", {"start": 2, "stop": 4})
    table = Table.read(io.BytesIO(fits.content), format="fits")
    assert list(table["path"]) == ["s/2.fits", "s/3.fits"] and list(table["ra"]) == [3.0, 4.5]
    vot = as_alice.get(f"{API}/datasets/stars/meta", {"format": "votable", "rows": "6"})
    assert vot["Content-Type"] == "application/x-votable+xml"
    assert list(Table.read(io.BytesIO(vot.content), format="votable")["path"]) == ["s/6.fits"]
    bad = as_alice.get(f"{API}/datasets/stars/meta", {"format": "csv"})
    assert bad.status_code == 400 and "fits" in bad.json()["error"]
