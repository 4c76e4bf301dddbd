"""How long the user's SSAP service takes on a large dataset (services/vo_serve, no Django).

A dataset of ``--rows`` spectra on a ``--pix``-pixel grid is written straight in the
on-disk layout (flux and ivar as sparse files: the catalogue never reads them; the mask
with a random covered range per row), then timed: the first catalogue build (meta table,
mask streamed for the coverage), a cached build, a cone + band selection, and the SSAP
VOTable of ``--maxrec`` rows.

    .venv/bin/python -m benchmarks.vo_service --rows 100000 --pix 4000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.table import Table
from numpy.lib.format import open_memmap

from services.datasets.grid import Grid
from services.vo_serve import ServiceUrls, build_catalogue, parse_ssa, select, ssa_votable


def write_dataset(root: Path, n_rows: int, n_pix: int, seed: int = 0) -> None:
    """``root/big/v1``: a dataset whose rows cover random sub-ranges of the grid."""
    rng = np.random.default_rng(seed)
    version = root / "big" / "v1"
    version.mkdir(parents=True)
    grid = Grid.linear(3600.0, 9200.0, n_pix)
    np.save(version / "wave.npy", grid.wave())
    for name in ("flux", "ivar"):
        open_memmap(version / f"{name}.npy", "w+", np.float32, (n_rows, n_pix))  # sparse
    mask = open_memmap(version / "mask.npy", "w+", bool, (n_rows, n_pix))
    first = rng.integers(0, n_pix // 2, n_rows)  # [n_rows]
    last = rng.integers(n_pix // 2, n_pix, n_rows)  # [n_rows]
    columns = np.arange(n_pix)  # [n_pix]
    for start in range(0, n_rows, 4096):
        rows = slice(start, min(start + 4096, n_rows))
        mask[rows] = (columns < first[rows, None]) | (columns > last[rows, None])
    mask.flush()
    meta = Table(
        {
            "path": [f"spectra/s{i:07d}.fits" for i in range(n_rows)],
            "object": [f"star {i}" for i in range(n_rows)],
            "ra": rng.uniform(0, 360, n_rows),
            "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n_rows))),
            "obs_date": [f"20{10 + i % 10}-0{1 + i % 9}-1{i % 10}T01:02:03" for i in range(n_rows)],
            "redshift": np.full(n_rows, np.nan),
            "snr_median": rng.uniform(1, 100, n_rows),
            "rest_frame": np.zeros(n_rows, bool),
        }
    )
    meta.write(version / "meta.fits")
    info = {"name": "big", "version": 1, "grid": grid.to_dict()}
    (version / "dataset.json").write_text(json.dumps(info))
    (root / "big" / "current").write_text("v1")


def timed(what: str, call):
    start = time.perf_counter()
    result = call()
    print(f"{what}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pix", type=int, default=4000)
    parser.add_argument("--maxrec", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        timed(
            f"write {args.rows} x {args.pix} dataset",
            lambda: write_dataset(root, args.rows, args.pix),
        )
        index = root / "index.sqlite3"
        catalogue = timed("first catalogue build", lambda: build_catalogue(root, index))
        timed("cached catalogue build", lambda: build_catalogue(root, index))
        params = {"POS": ["180,0"], "SIZE": ["60"], "BAND": ["6e-7/6.6e-7"]}
        query = parse_ssa(params, default_maxrec=args.maxrec, hard_maxrec=args.maxrec)
        rows, overflow = timed("cone + band selection", lambda: select(catalogue, query))
        print(f"  {rows.size} rows, overflow {overflow}")
        all_rows = parse_ssa({}, default_maxrec=args.maxrec, hard_maxrec=args.maxrec)
        found = catalogue.take(select(catalogue, all_rows)[0])
        urls = ServiceUrls("https://vocloud.example/vo/c/capability")
        body = timed(f"SSAP VOTable of {len(found)} rows", lambda: ssa_votable(found, {}, urls))
        print(f"  {len(body) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
