"""The on-disk dataset: round trip, memory maps, atomic versions, chunks, names."""

import numpy as np
import pytest

from services.datasets import (
    DatasetError,
    DatasetWriter,
    Grid,
    delete_dataset,
    list_datasets,
    open_dataset,
    validate_name,
)

GRID = Grid.linear(4000, 5000, 11)


def rows(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    flux = rng.normal(1, 0.1, (n, GRID.n_pix)).astype(np.float32)
    ivar = rng.uniform(1, 2, (n, GRID.n_pix)).astype(np.float32)
    mask = rng.uniform(size=(n, GRID.n_pix)) < 0.1
    return flux, ivar, mask


def write(root, name, n, seed=0, capacity=None):
    flux, ivar, mask = rows(n, seed)
    with DatasetWriter(root, name, GRID, capacity=capacity or n) as writer:
        for i in range(n):
            writer.append(flux[i], ivar[i], mask[i], {"path": f"f{i}.fits", "ra": 1.5 * i})
        writer.commit({"sources": ["x"], "failures": []})
    return flux, ivar, mask


def test_round_trip_with_memory_maps(tmp_path):
    flux, ivar, mask = write(tmp_path, "stars", 7, capacity=10)  # 3 unused rows cut off
    ds = open_dataset(tmp_path / "stars")
    assert isinstance(ds.flux, np.memmap) and ds.flux.dtype == np.float32
    assert ds.flux.shape == (7, GRID.n_pix) and ds.mask.dtype == bool
    assert np.array_equal(ds.flux, flux) and np.array_equal(ds.ivar, ivar)
    assert np.array_equal(ds.mask, mask)
    assert np.array_equal(ds.wave, GRID.wave()) and ds.wave.dtype == np.float64
    assert ds.grid == GRID and ds.version == 1 and ds.info["n_spectra"] == 7
    assert list(ds.meta["path"]) == [f"f{i}.fits" for i in range(7)]
    assert ds.meta["ra"][3] == 4.5 and np.isnan(ds.meta["dec"][0])
    assert ds.meta["sha256"][0] == ""  # unknown, not masked
    with pytest.raises(ValueError):
        ds.flux[0, 0] = 1.0  # read-only


def test_chunks_stream_every_row_once(tmp_path):
    flux, _, mask = write(tmp_path, "stars", 10)
    ds = open_dataset(tmp_path / "stars")
    seen = []
    for rows_, f, _i, m in ds.iter_chunks(chunk_rows=4):
        assert f.shape[0] <= 4
        assert np.array_equal(f, flux[rows_]) and np.array_equal(m, mask[rows_])
        seen.extend(range(rows_.start, rows_.stop))
    assert seen == list(range(10))


def test_a_new_version_is_invisible_until_committed(tmp_path):
    old_flux, _, _ = write(tmp_path, "stars", 3, seed=1)
    before = open_dataset(tmp_path / "stars")
    new_flux, new_ivar, new_mask = rows(5, seed=2)
    with DatasetWriter(tmp_path, "stars", GRID, capacity=5) as writer:
        for i in range(5):
            writer.append(new_flux[i], new_ivar[i], new_mask[i], {})
            during = open_dataset(tmp_path / "stars")
            assert during.version == 1 and np.array_equal(during.flux, old_flux)
        writer.commit({})
    after = open_dataset(tmp_path / "stars")
    assert after.version == 2 and np.array_equal(after.flux, new_flux)
    # the old version's directory is gone, but a reader that mapped it still reads it
    assert not (tmp_path / "stars" / "v1").exists()
    assert np.array_equal(before.flux, old_flux)
    assert sorted(p.name for p in (tmp_path / "stars").iterdir()) == [".lock", "current", "v2"]


def test_a_failed_build_leaves_the_old_version_and_no_debris(tmp_path):
    write(tmp_path, "stars", 3)
    with pytest.raises(RuntimeError), DatasetWriter(tmp_path, "stars", GRID, 4) as writer:
        writer.append(*[a[0] for a in rows(1)], {})
        raise RuntimeError("worker died")
    assert open_dataset(tmp_path / "stars").version == 1
    assert not list((tmp_path / "stars").glob(".building-*"))
    with DatasetWriter(tmp_path, "fresh", GRID, 2):
        pass
    assert not (tmp_path / "fresh").exists()


def test_empty_dataset_is_refused(tmp_path):
    with pytest.raises(DatasetError), DatasetWriter(tmp_path, "empty", GRID, 3) as writer:
        writer.commit({})


def test_list_and_delete(tmp_path):
    write(tmp_path, "b-set", 2)
    write(tmp_path, "a.set", 3)
    (tmp_path / "half-built").mkdir()  # no current version yet: not listed
    listed = list_datasets(tmp_path)
    assert [d["name"] for d in listed] == ["a.set", "b-set"]
    assert listed[0]["n_spectra"] == 3 and listed[0]["size_bytes"] > 3 * 11 * 9
    delete_dataset(tmp_path, "a.set")
    assert [d["name"] for d in list_datasets(tmp_path)] == ["b-set"]
    with pytest.raises(DatasetError):
        delete_dataset(tmp_path, "a.set")
    with pytest.raises(DatasetError):
        open_dataset(tmp_path / "a.set")


@pytest.mark.parametrize(
    "name", ["", "..", "../x", "a/b", ".hidden", "a..b", "x" * 65, "a b", "é", "a\x00"]
)
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(DatasetError):
        validate_name(name)
    with pytest.raises(DatasetError):
        DatasetWriter(tmp_path, name, GRID, 1)


def test_good_names_are_accepted():
    for name in ("stars", "LAMOST_dr2-v1.0", "a", "2024"):
        assert validate_name(name) == name


def test_a_killed_build_is_cleaned_up_by_the_next_one(tmp_path):
    from services.datasets.grid import Grid
    from services.datasets.writer import DatasetWriter

    grid = Grid.linear(4000, 5000, 10)
    live = DatasetWriter(tmp_path, "stars", grid, capacity=3)
    dead = DatasetWriter(tmp_path, "stars", grid, capacity=3)
    dead._owner.close()  # what the kernel does when the job process is killed
    DatasetWriter(tmp_path, "stars", grid, capacity=3).discard()
    assert not dead.tmp.exists(), "the abandoned build was not removed"
    assert live.tmp.exists(), "a build in progress must be left alone"
    live.discard()
