"""Ingest speed: the per-file ingest path against a bare astropy read loop, and SSAP downloads.

1. files/s: N distinct real-layout spectra (the LAMOST DR2 and Ondřejov fixtures, copied with
   one header card changed so that every file has its own content hash) go through the
   ingest path (`services.ingest.store.store_file`: read and check with read_spectrum,
   SHA-256, content index, move into the user's storage) and through a bare astropy loop
   (`fits.open`, primary data and header) over the same files, in the same run.
   Also the whole `ingest` job from an uploaded .tar of the same files.
2. SSAP: the `ingest` job against a local SSAP service of M synthetic spectra, with
   PARALLEL=1 and PARALLEL=8 downloads.

Usage: python benchmarks/ingest.py [--files 1000] [--ssap 400] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from services.ingest import Parameters, run  # noqa: E402
from services.ingest.store import store_file  # noqa: E402
from services.jobs import JobContext  # noqa: E402
from services.storage import UserSpace  # noqa: E402
from services.storage.index import ContentIndex  # noqa: E402
from tests.support.remote import TEST_POLICY  # noqa: E402
from tests.support.vo_servers import VOServer, make_synthetic  # noqa: E402

SOURCES = [
    *sorted((ROOT.parent / "shared" / "data" / "spectra" / "lamost-dr2").glob("*.fits")),
    *sorted((ROOT / "tests" / "data" / "spectra").rglob("*.fits")),
]


def make_files(directory: Path, n: int) -> list[Path]:
    """``n`` distinct copies of the real spectra (one header card differs)."""
    directory.mkdir(parents=True)
    paths = []
    for i in tqdm(range(n), desc="making files"):
        source = SOURCES[i % len(SOURCES)]
        with fits.open(source) as hdul:
            hdul[0].header["VCBENCH"] = i
            path = directory / f"{i:06d}-{source.name}"
            hdul.writeto(path)
        paths.append(path)
    return paths


def bare_astropy(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        with fits.open(path) as hdul:
            data, header = hdul[0].data, hdul[0].header
            assert data is not None and header["NAXIS"] >= 1
    return len(paths) / (time.perf_counter() - start)


def ingest_path(paths: list[Path], tmp: Path, round_: int) -> float:
    staged_dir = tmp / f"staged{round_}"
    staged_dir.mkdir()
    staged = [Path(shutil.copy2(p, staged_dir / p.name)) for p in paths]
    space = UserSpace(tmp / f"user{round_}").ensure()
    index = ContentIndex(space.index_path)
    start = time.perf_counter()
    for path in staged:
        row = store_file(path, path.name, space.files / "bench", space.files, index)
        assert row.status == "ok", row.reason
    rate = len(staged) / (time.perf_counter() - start)
    index.close()
    return rate


def context(tmp: Path, name: str) -> JobContext:
    # the local SSAP service stands for a remote archive on 127.0.0.2 (tests/support/remote.py)
    return JobContext(
        job_id=name, job_dir=tmp / name, user_root=tmp / f"{name}-user", fetch_policy=TEST_POLICY
    )


def whole_job_from_tar(paths: list[Path], tmp: Path) -> float:
    archive = tmp / "upload.tar"
    with tarfile.open(archive, "w") as tar:
        for path in paths:
            tar.add(path, arcname=path.name)
    start = time.perf_counter()
    run(Parameters(upload=archive, target="tar"), context(tmp, "tarjob"))
    return len(paths) / (time.perf_counter() - start)


def ssap(tmp: Path, n: int, parallel: int) -> float:
    with VOServer(make_synthetic(tmp / f"ssap-{parallel}", n=n, seed=parallel)) as server:
        start = time.perf_counter()
        run(
            Parameters(ssap_url=server.ssap_url, maxrec=n, parallel=parallel, target="ssap"),
            context(tmp, f"ssap{parallel}"),
        )
        return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--ssap", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vocloud-ingest-bench-") as name:
        tmp = Path(name)
        paths = make_files(tmp / "files", args.files)
        bare, ours = [], []
        for round_ in tqdm(range(args.repeats), desc="rounds"):
            bare.append(bare_astropy(paths))
            ours.append(ingest_path(paths, tmp, round_))
        tar_rate = whole_job_from_tar(paths, tmp)
        ssap_1 = ssap(tmp, args.ssap, 1)
        ssap_8 = ssap(tmp, args.ssap, 8)
    b, o = float(np.median(bare)), float(np.median(ours))
    print(
        f"\n{args.files} files (real LAMOST DR2 + Ondřejov layouts), median of "
        f"{args.repeats} rounds"
    )
    print(f"bare astropy loop (fits.open, data + header): {b:8.1f} files/s")
    print(f"ingest path (read_spectrum, sha256, index, move): {o:8.1f} files/s")
    print(f"ratio ingest / bare astropy: {o / b:.2f}x  (goal >= 0.8x)")
    print(f"whole ingest job from an uploaded .tar: {tar_rate:8.1f} files/s")
    print(
        f"SSAP ingest of {args.ssap} spectra: PARALLEL=1 {ssap_1:.1f} spectra/s, "
        f"PARALLEL=8 {ssap_8:.1f} spectra/s ({ssap_8 / ssap_1:.2f}x)"
    )


if __name__ == "__main__":
    main()
