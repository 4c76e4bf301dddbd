"""Demo spectra in a user's storage: labels, idempotency, the offline fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from astropy.io import fits

from services.demo import install_demo, install_halpha, install_miles, is_installed, read_labels
from services.storage import UserSpace
from services.storage.index import ContentIndex


@pytest.fixture
def space(tmp_path) -> UserSpace:
    return UserSpace(tmp_path / "users" / "1").ensure()


def indexed_sources(space: UserSpace) -> list[str]:
    index = ContentIndex(space.index_path)
    try:
        return [entry.source for entry in index.entries()]
    finally:
        index.close()


def test_synthetic_set_is_stored_with_labels_matching_the_headers(space):
    installed = install_halpha(space, n_spectra=6)
    assert (installed.source, installed.n_spectra, installed.n_new) == ("halpha", 6, 6)
    columns, rows = read_labels(space.files / installed.labels)
    assert columns == ["class"]
    assert installed.labels == "demo/halpha.labels.csv"
    for row in rows:
        assert row["path"].startswith("demo/halpha/")
        assert fits.getheader(space.files / row["path"])["CLASS"] == row["class"]
    assert indexed_sources(space) == ["demo:halpha"] * 6
    assert not any(space.scratch.iterdir())


def test_installing_again_stores_nothing_and_restores_a_deleted_file(space):
    install_halpha(space, n_spectra=6)
    labels_before = (space.files / "demo/halpha.labels.csv").read_text()
    assert install_halpha(space, n_spectra=6).n_new == 0
    assert (space.files / "demo/halpha.labels.csv").read_text() == labels_before
    (space.files / "demo/halpha/halpha-00003.fits").unlink()
    assert not is_installed(space, "halpha")
    assert install_halpha(space, n_spectra=6).n_new == 1
    assert is_installed(space, "halpha")


def test_miles_spectra_get_annotated_headers_and_parameter_labels(space, fake_miles_dir):
    installed = install_miles(space, fake_miles_dir)
    assert (installed.n_spectra, installed.folder) == (1, "demo/miles")
    columns, rows = read_labels(space.files / "demo/miles.labels.csv")
    assert columns == ["class", "teff", "logg", "feh"]
    assert rows == [
        {
            "path": "demo/miles/MILES_res2.50_star_m0001V.fits",
            "class": "G",
            "teff": "5305.0",
            "logg": "4.49",
            "feh": "-0.75",
        }
    ]
    header = fits.getheader(space.files / rows[0]["path"])
    assert (header["OBJECT"], header["AIRORVAC"], header["MKCLASS"]) == ("HD224930", "air", "G")
    assert header["TEFF"] == 5305.0
    assert "Cenarro" in (space.files / "demo/miles.NOTE.txt").read_text()


def test_demo_falls_back_to_synthetic_spectra_without_miles(space, tmp_path):
    said: list[str] = []
    installed = install_demo(
        space, tmp_path / "empty-cache", download=False, n_synthetic=3, say=said.append
    )
    assert (installed.source, installed.n_spectra) == ("halpha", 3)
    assert said == ["Storing the halpha demo spectra in demo/halpha ..."]


def test_demo_prefers_miles_when_cached_and_is_idempotent(space, fake_miles_dir):
    cache = Path(fake_miles_dir).parent
    progress: list[tuple[int, int]] = []
    first = install_demo(space, cache, download=False, progress=lambda *a: progress.append(a))
    assert (first.source, first.n_new, progress) == ("miles", 1, [(1, 1)])
    assert install_demo(space, cache, download=False).n_new == 0
    assert install_demo(space, cache, synthetic=True, n_synthetic=3).source == "halpha"
