"""The labelling loop on the running platform, in headless Chromium: session, round, lasso,
labels kept over a reload, "Am I correct?", undo, and a second round in the history plot."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.browser import screenshot_dir
from tests.support.platform import PASSWORDS, run_job
from tests.support.toy_upload import toy_archive

pytestmark = pytest.mark.platform
ROUND = {"epochs": "12", "acquisition": "bald", "k": "40", "method": "pca", "mc_samples": "5"}


def _post(portal, url, data, files=None):
    data = {**data, "csrfmiddlewaretoken": portal.cookies["csrftoken"]}
    response = portal.post(url, data=data, files=files, headers={"Referer": url})
    response.raise_for_status()
    return response


def wait_ready(portal, platform, session_id: int, number: int, timeout: float = 300) -> dict:
    url = f"{platform.url}/labelling/{session_id}/rounds/{number}/status/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = portal.get(url).json()
        assert not status["failed"], status
        if status["ready"]:
            return status
        time.sleep(1)
    raise AssertionError(f"round {number} not ready in {timeout} s: {status}")


@pytest.fixture(scope="module")
def labelling(platform):
    """alice's toy dataset, a session with 5 imported labels per class, round 1 ready."""
    archive, snapshot, _labels = toy_archive("labelme", seed=8)
    alice = platform.session("alice")
    run_job(alice, platform, "ingest", TARGET="labelme", files={"UPLOAD": ("t.tar.gz", archive)})
    run_job(alice, platform, "dataset", NAME="labelme", FOLDERS="labelme", NORMALISATION="none")
    portal = platform.portal_session("alice")
    _post(
        portal,
        f"{platform.url}/files/upload/",
        {"folder": ""},
        files={"files": ("labelme.labels.csv", snapshot.encode())},
    )
    fields = {"name": "toy lines", "schema": "classes", "target": "class", "per_class": "5"}
    session_id = start_session(portal, platform, import_file="labelme.labels.csv", **fields)
    return portal, session_id


def start_session(portal, platform, **fields) -> int:
    """Create a session on dataset labelme through the form, run round 1; its id."""
    form = {"dataset": "labelme", "classes": "", "unit": "", **fields}
    created = _post(portal, f"{platform.url}/labelling/", form)
    session_id = int(re.search(r"/labelling/(\d+)/$", created.url).group(1))
    _post(portal, f"{platform.url}/labelling/{session_id}/rounds/", ROUND)
    wait_ready(portal, platform, session_id, 1)
    return session_id


def login(page, platform, user="alice"):

    page.goto(f"{platform.url}/accounts/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_selector("text=Log out")


def open_round(page, platform, session_id, number=1):
    page.goto(f"{platform.url}/labelling/{session_id}/rounds/{number}/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)


FRAME_JS = """() => {
  const root = Object.values(Bokeh.index)[0];
  const plot = root.child_views[0];
  const box = plot.el.getBoundingClientRect(), frame = plot.frame.bbox;
  return {x: box.left + frame.left, y: box.top + frame.top, w: frame.width, h: frame.height};
}"""
LABELS_JS = """() => Bokeh.documents[0].get_model_by_name('points').data.label
  .filter((l) => l !== '').length"""


def show_first_spectrum(page) -> None:
    """Select the first point as a click would, and wait for its spectrum below."""
    page.evaluate(
        "() => { Bokeh.documents[0].get_model_by_name('points').selected.indices = [0]; }"
    )
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('spectrum').data.wave.length > 10"
    )


def lasso(page, fraction=0.5):
    """Drag a lasso around the left ``fraction`` of the scatter plot's frame."""
    f = page.evaluate(FRAME_JS)
    x0, y0, x1, y1 = f["x"] + 2, f["y"] + 2, f["x"] + f["w"] * fraction, f["y"] + f["h"] - 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in [(x1, y0), (x1, y1), (x0, y1), (x0, y0 + 1)]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    return page.evaluate("() => Bokeh.documents[0].get_model_by_name('points').selected.indices")


def test_lasso_label_reload_and_undo(labelling, platform, page, tmp_path):
    _portal, session_id = labelling
    login(page, platform)
    open_round(page, platform, session_id)
    assert page.evaluate(LABELS_JS) == 0  # the sample excludes what was labelled
    chosen = lasso(page)
    assert 0 < len(chosen) < 40, chosen
    page.keyboard.press("1")  # the first class
    page.wait_for_selector(f"#message:has-text('{len(chosen)} spectra: labelled')")
    page.select_option("#colour-by", "label")
    fields = page.evaluate(
        """() => { const r = Bokeh.documents[0].get_model_by_name('scatter');
                   return [r.glyph.fill_color.field, r.nonselection_glyph.fill_color.field]; }"""
    )
    assert fields == ["label", "label"]  # selected and unselected points alike
    assert "unlabelled" in page.inner_text("#legend")
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/labelling-view.png", full_page=True)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate(LABELS_JS) == len(chosen)  # saved at once, kept over a reload
    counts = page.inner_text("#counts")
    assert f"total\t{15 + len(chosen)}" in counts, counts
    page.keyboard.press("u")
    page.wait_for_selector("#message:has-text('Undone')")
    assert page.evaluate(LABELS_JS) == 0
    page.keyboard.press("Control+z")  # nothing left of this round's actions but the import
    page.wait_for_selector("#message:has-text('Undone'), #message:has-text('Nothing to undo')")


def test_clicking_a_point_plots_its_spectrum(labelling, platform, page):
    _portal, session_id = labelling
    login(page, platform)
    open_round(page, platform, session_id)
    show_first_spectrum(page)
    title = page.evaluate("() => Bokeh.documents[0].get_model_by_name('spectrum-plot').title.text")
    assert "prediction" in title and "uncertainty" in title


def test_am_i_correct_feeds_the_performance_estimate(labelling, platform, page):
    _portal, session_id = labelling
    login(page, platform)
    open_round(page, platform, session_id)
    page.select_option("#mode", "check")
    chosen = lasso(page, fraction=0.35)
    assert chosen
    page.keyboard.press("y")
    page.wait_for_selector("#message:has-text('confirmed')")
    assert "checked" in page.inner_text("#performance")
    page.goto(f"{platform.url}/labelling/{session_id}/")
    assert "Am I correct?" in page.inner_text("main")


def test_a_second_round_appears_in_the_history_plot(labelling, platform, page, tmp_path):
    portal, session_id = labelling
    login(page, platform)
    open_round(page, platform, session_id)
    lasso(page, fraction=0.6)
    page.keyboard.press("2")
    page.wait_for_selector("#message:has-text('labelled')")
    page.goto(f"{platform.url}/labelling/{session_id}/")
    page.fill("#id_epochs", ROUND["epochs"])
    page.fill("#id_k", ROUND["k"])
    page.select_option("#id_method", ROUND["method"])
    page.fill("#id_mc_samples", ROUND["mc_samples"])
    page.click("#start-round button[type=submit]")
    page.wait_for_selector("text=Round 2: training on")
    status = wait_ready(portal, platform, session_id, 2)
    assert status["n_labels"] > 15 and status["metrics"]["accuracy"] > 0
    page.goto(f"{platform.url}/labelling/{session_id}/")
    page.wait_for_function("() => Bokeh.documents.length > 0")
    n_points = page.evaluate(
        """() => Bokeh.documents[0].get_model_by_name('history').renderers[0]
             .data_source.data.x.length"""
    )
    assert n_points == 2
    page.screenshot(path=f"{screenshot_dir(tmp_path)}/labelling-session.png", full_page=True)


def test_the_sample_goes_to_topcat_and_spectra_to_splat_over_samp(
    labelling, platform, page, samp_receiver, tmp_path
):
    import requests
    from astropy.io import fits
    from astropy.io.votable import parse_single_table

    _portal, session_id = labelling
    login(page, platform)
    open_round(page, platform, session_id)
    chosen = lasso(page, fraction=0.3)[:5]
    page.evaluate(
        f"() => {{ Bokeh.documents[0].get_model_by_name('points').selected.indices = {chosen}; }}"
    )
    page.click("#send-topcat")
    [table] = samp_receiver.wait_for("table.load.votable")
    assert table.params["table-id"] == f"vocloud-session-{session_id}-round-1"
    download = requests.get(table.params["url"], timeout=30)  # no session: a signed link
    assert download.status_code == 200
    (tmp_path / "sample.vot").write_bytes(download.content)
    sample = parse_single_table(tmp_path / "sample.vot").to_table()
    assert len(sample) == 40 and {"ra", "dec", "prediction", "label"} <= set(sample.colnames)
    [rows] = samp_receiver.wait_for("table.select.rowList")
    assert sorted(int(r) for r in rows.params["row-list"]) == sorted(chosen)
    page.wait_for_selector("#message:has-text('Sent the sample')")

    page.click("#send-splat")
    spectra = samp_receiver.wait_for("spectrum.load.ssa-generic", count=len(chosen))
    for message in spectra:
        assert message.params["meta"]["Access.Format"] == "application/fits"
        body = requests.get(message.params["url"], timeout=30)
        assert body.status_code == 200
        (tmp_path / "s.fits").write_bytes(body.content)
        with fits.open(tmp_path / "s.fits") as hdus:
            assert hdus[0].header["OBJECT"].startswith("labelme toy ")
    tampered = requests.get(spectra[0].params["url"][:-3] + "xyz", timeout=30)
    assert tampered.status_code == 404

    # rows selected in TOPCAT come back as the plot's selection
    samp_receiver.broadcast(
        "table.select.rowList",
        {"table-id": table.params["table-id"], "url": table.params["url"], "row-list": ["1", "2"]},
    )
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('points').selected.indices.length === 2"
    )


def test_without_a_hub_the_page_says_so(labelling, platform, page, no_samp_hub):
    _portal, session_id = labelling
    login(page, platform)
    open_round(page, platform, session_id)
    page.click("#send-topcat")
    page.wait_for_selector("#message.error:has-text('No SAMP hub is running')")
    assert "not running" in page.inner_text("#samp-status")


def test_a_redshift_session_marks_lines_and_takes_a_corrected_z(platform, page, labelling):
    """A numeric session on the same spectra: z = 0, 0.01, 0.02 by line profile."""
    portal, _ = labelling
    z_of = {"absorption": "0.0", "emission": "0.01", "flat": "0.02"}
    _archive, snapshot, _labels = toy_archive("labelme", seed=8)
    lines = snapshot.strip().splitlines()
    rows = ["path,z"] + [f"{p},{z_of[c]}" for p, c in (line.split(",") for line in lines[1:])]
    _post(
        portal,
        f"{platform.url}/files/upload/",
        {"folder": ""},
        files={"files": ("labelme.z.csv", ("\n".join(rows) + "\n").encode())},
    )
    fields = {"name": "toy redshifts", "schema": "numeric", "target": "z", "per_class": "20"}
    session_id = start_session(portal, platform, import_file="labelme.z.csv", **fields)
    login(page, platform)
    open_round(page, platform, session_id)
    show_first_spectrum(page)
    predicted = page.evaluate(
        "() => Bokeh.documents[0].get_model_by_name('points').data.prediction[0]"
    )
    assert float(page.input_value("#value-input")) == pytest.approx(float(predicted), abs=1e-5)
    page.evaluate(
        """() => { const s = document.getElementById('value-slider');
                   s.value = '0.015'; s.dispatchEvent(new Event('input')); }"""
    )
    x = page.evaluate(
        """() => { const d = Bokeh.documents[0].get_model_by_name('lines').data;
                   return d.xs[d.name.indexOf('H\u03b1')][0]; }"""
    )
    assert x == pytest.approx(6564.61 * 1.015, abs=0.01)  # the line moved with the slider
    assert page.input_value("#value-input") == "0.015"
    page.fill("#value-input", "0.0123")
    page.press("#value-input", "Enter")
    page.wait_for_selector("#message:has-text('1 spectra: labelled 0.0123')")
    label = page.evaluate("() => Bokeh.documents[0].get_model_by_name('points').data.label[0]")
    assert label == "0.0123"
