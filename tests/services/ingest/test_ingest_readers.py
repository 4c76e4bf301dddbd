"""What ingest says per item about how a file was read: new layouts, guessed units, and a
batch whose every file fails (one line, the commonest reasons, not one line per file)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from astropy.io import fits
from astropy.io.votable import parse_single_table

from services import ingest
from services.jobs import JobFailure
from tests.services.ingest.conftest import make_tar
from tests.services.spectra.archive_layouts import (
    prism_rows,
    write_spex_prism,
    write_spextool_sxd,
)


def _report(ctx) -> dict[str, dict]:
    table = parse_single_table(str(ctx.results_dir / "report.vot")).to_table()
    return {
        str(row["source"]).rsplit(":", 1)[-1]: {k: row[k] for k in table.colnames} for row in table
    }


def test_row_stacked_files_are_stored_and_unit_guesses_reported(ctx, tmp_path):
    members = {
        f"spl/prism{i}.fits": write_spex_prism(tmp_path / f"prism{i}.fits", rows=prism_rows(i))
        for i in range(3)
    }
    members["spl/sxd.fits"] = write_spextool_sxd(tmp_path / "sxd.fits")
    micron_text = tmp_path / "nir.txt"
    micron_text.write_text("".join(f"{w:.4f} 1.0\n" for w in np.linspace(1.0, 2.4, 50)))
    members["spl/nir.txt"] = micron_text

    ingest.run(ingest.Parameters(upload=make_tar(tmp_path / "spl.tar.gz", members)), ctx)

    rows = _report(ctx)
    assert {row["status"] for row in rows.values()} == {"ok"}
    assert rows["spl/prism0.fits"]["format"] == "fits-row-stacked"
    assert rows["spl/prism0.fits"]["object"] == "2MASS J0036+1821"
    assert rows["spl/prism0.fits"]["n_pix"] == 564
    assert rows["spl/prism0.fits"]["guesses"] == ""  # XUNITS said 'Microns'
    assert "1-2.4 read as um" in rows["spl/nir.txt"]["guesses"]


def test_a_batch_where_every_file_fails_says_so_in_one_line(ctx, tmp_path):
    rng = np.random.default_rng(1)
    members = {}
    for i in range(120):  # images of three flux rows: no wavelength anywhere
        path = tmp_path / f"img{i:03d}.fits"
        fits.PrimaryHDU(rng.normal(size=(3, 564)).astype(np.float32)).writeto(path)
        members[path.name] = path
    page = tmp_path / "page.fits"
    page.write_bytes(b"<!DOCTYPE html><html><body>login</body></html>")
    members[page.name] = page
    archive = make_tar(tmp_path / "bad.tar.gz", members)

    start = time.perf_counter()
    with pytest.raises(JobFailure) as info:
        ingest.run(ingest.Parameters(upload=archive), ctx)
    elapsed = time.perf_counter() - start

    message = str(info.value)
    assert message.startswith("nothing was ingested: all 121 items failed: 120 x not a readable")
    assert "no 1-D spectrum found (HDUs: Primary 564 x 3)" in message
    assert "1 x not a readable spectrum: not a FITS file: an HTML page" in message
    assert "\n" not in message and len(message) < 600
    rows = _report(ctx)
    assert len(rows) == 121 and {row["status"] for row in rows.values()} == {"failed"}
    assert elapsed < 30, f"{elapsed:.1f} s for 121 unreadable files"
