"""Job pages present their results: metrics with n and intervals, charts, candidates,
ingestion counts; file sizes for people; VO-tool links only for tables and spectra."""

import json
import re

import numpy as np
import pytest
from scipy import stats

from services.learning.votable import write_table
from tests.portal.finished_jobs import (
    HISTORY,
    alice_dataset,
    ingest_job,
    results_dir,
    score_job,
    train_job,
)
from vocloud.portal import charts, presenters
from vocloud.portal.kinddocs import render_docstring
from vocloud.uws import service
from vocloud.uws.kinds import KINDS


def _page(client, job) -> str:
    client.force_login(job.owner)
    response = client.get(f"/jobs/{job.kind}/{job.job_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_train_job_shows_accuracy_with_its_n_and_exact_interval(client, alice):
    job = train_job(alice, n_val=60)
    table = presenters.ResultFiles(job).votable("result")
    k = int((table.text("label") == table.text("predicted")).sum())
    low = stats.beta.ppf(0.025, k, 60 - k + 1)
    high = stats.beta.ppf(0.975, k + 1, 60 - k)
    page = _page(client, job)
    assert "Validation accuracy" in page
    assert f"{k} of n = 60 validation spectra right" in page
    assert f"{low:.3f}\u2013{high:.3f} (exact binomial)" in page
    assert "Expected calibration error" in page and "(bootstrap)" in page


def test_a_train_job_draws_reliability_confusion_and_learning_curve_on_their_own_axes(
    client, alice
):
    page = _page(client, train_job(alice))
    assert "Reliability diagram" in page and "perfect calibration" in page
    assert "Confusion matrix" in page
    for name in ("absorption", "emission", "flat"):
        assert f"<th>{name}</th>" in page
    # loss and accuracy are two charts, each with its own y axis title
    titles = re.findall(r'<text class="axis-label" transform="rotate\(-90\)"[^>]*>([^<]*)<', page)
    assert "loss" in titles and "accuracy" in titles
    assert page.count("<polyline") >= 5  # 4 curves + the diagonal


def test_the_learning_curve_comes_back_from_the_plot_of_older_jobs(alice):
    job = train_job(alice)
    path = presenters.ResultFiles(job).path("learning-curve")
    assert presenters.history_from_bokeh(path.read_text()) == HISTORY


def test_a_history_json_wins_over_the_plot(alice):
    job = train_job(alice)
    (results_dir(job) / "history.json").write_text(json.dumps({"loss": [3, 2], "auc": [0.5, 0.6]}))
    panels = presenters._learning_curve(presenters.ResultFiles(job))
    assert [p.y_label for p in panels] == ["loss", "auc"]


def test_a_regression_train_job_shows_rmse_and_coverage_with_n(client, alice):
    page = _page(client, train_job(alice, n_val=50, task="regression"))
    assert "RMSE" in page and "n = 50 validation spectra" in page
    assert "Coverage" in page and "of 50" in page and "PIT histogram" in page
    assert "Confusion matrix" not in page


def test_a_votes_train_job_shows_coverage_with_the_answered_questions_as_n(client, alice):
    page = _page(client, train_job(alice, n_val=30, task="votes"))
    assert "Vote-fraction RMSE" in page and "of n = 60 answered questions" in page
    assert "<td>smooth</td>" in page and "<td>disk</td>" in page


def test_an_al_round_job_lists_its_candidates_too(client, alice, tmp_path):
    alice_dataset(alice, tmp_path)
    page = _page(client, score_job(alice, train_job(alice), kind="al-round"))
    assert "ranked first by" in page and '<svg class="thumb"' in page


def test_sizes_are_for_people_and_only_tables_get_a_vo_tool_link(client, alice):
    job = train_job(alice)
    client.force_login(alice)
    status = client.get(f"/jobs/train/{job.job_id}/status.json").json()
    by_id = {r["id"]: r for r in status["results"]}
    assert by_id["model"]["size_text"] == "19.5 KB"
    assert by_id["model"]["signed_url"] is None  # a Keras file is no use to TOPCAT
    assert by_id["learning-curve"]["signed_url"] is None
    assert "/uws/signed/" in by_id["result"]["signed_url"]
    page = _page(client, job)
    assert "19.5 KB" in page and page.count("link for TOPCAT/SPLAT") == 1


def test_only_the_shown_rows_of_a_large_top_k_are_read(alice, tmp_path):
    alice_dataset(alice, tmp_path)
    job = score_job(alice, train_job(alice))
    n = 50_000
    table = {"row": np.zeros(n, int), "path": np.array(["x"] * n), "score": np.ones(n)}
    write_table(table, results_dir(job) / "top_k.vot", f"top {n} by bald")
    head = presenters.ResultFiles(job).votable("top-k", limit=25)
    assert len(head) == 25 and head.description == f"top {n} by bald"


def test_score_job_lists_top_candidates_with_thumbnails(client, alice, tmp_path):
    alice_dataset(alice, tmp_path)
    job = score_job(alice, train_job(alice))
    page = _page(client, job)
    assert "ranked first by <code>bald</code>" in page
    table = presenters.ResultFiles(job).votable("top-k")
    assert table.text("path")[0] in page and "of 3 selected" in page
    assert page.count('<svg class="thumb"') == len(table) == 3  # every row still matches


def test_thumbnails_are_left_out_when_the_dataset_changed(client, alice, tmp_path):
    alice_dataset(alice, tmp_path)
    job = score_job(alice, train_job(alice))
    table = presenters.ResultFiles(job).votable("top-k")
    columns = {c: table.floats(c) for c in ("row", "score")}
    columns["path"] = np.array([f"elsewhere/{i}.fits" for i in range(len(table))])
    write_table(columns, results_dir(job) / "top_k.vot", "x")
    assert '<svg class="thumb"' not in _page(client, job)


def test_ingest_job_shows_counts_and_failures_grouped_by_reason(client, alice):
    page = _page(client, ingest_job(alice))
    assert re.search(r"Stored</span><span class=\"value ok\">2<", page)
    assert re.search(r"Failed</span><span class=\"value bad\">3<", page)
    assert "Failures by reason" in page
    row = re.search(r"<td>HTTP 404 Not Found</td><td>(\d+)</td>", page)
    assert row and row.group(1) == "2"


def test_kinds_without_a_presenter_show_their_files(client, completed_job):
    page = _page(client, completed_job)
    assert 'id="presentation"' not in page and "10 bytes" in page


def test_an_unreadable_result_gives_one_sentence(client, alice):
    job = train_job(alice)
    (results_dir(job) / "validation.vot").write_text("<VOTABLE><nonsense")
    page = _page(client, job)
    assert "could not be read for this page" in page and "Traceback" not in page


def test_job_list_shows_progress(client, alice):
    job = service.create_job(alice, KINDS["selftest"], {"DURATION": "1"})
    from vocloud.uws import phases
    from vocloud.uws.models import Phase

    for phase in (Phase.QUEUED, Phase.EXECUTING):
        assert phases.transition(job, phase)
    type(job).objects.filter(pk=job.pk).update(progress=0.42, progress_message="epoch 4/10")
    client.force_login(alice)
    page = client.get("/jobs/").content.decode()
    assert "<th>Progress</th>" in page and "42 %" in page and "epoch 4/10" in page


def test_run_again_links_to_the_prefilled_form(client, alice):
    job = train_job(alice)
    page = _page(client, job)
    assert f'href="/jobs/new/train/?from={job.job_id}"' in page
    form = client.get(f"/jobs/new/train/?from={job.job_id}").content.decode()
    assert 'name="labels_file" value="toy.labels.csv"' in form
    assert 'name="epochs" value="6"' in form


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("The ``train`` kind.", "<p>The <code>train</code> kind.</p>"),
        ("a\nb\n\nc", "<p>a b</p>\n<p>c</p>"),
        ("see :mod:`services.x`", "<p>see <code>services.x</code></p>"),
        ("<b>x</b> ``<i>``", "<p>&lt;b&gt;x&lt;/b&gt; <code>&lt;i&gt;</code></p>"),
    ],
)
def test_kind_docs_are_paragraphs_with_code(text, html):
    assert str(render_docstring(text)) == html


def test_kind_page_renders_the_docstring(client, db):
    page = client.get("/kinds/train/").content.decode()
    assert "<code>TARGET</code>" in page and "Label column" in page  # a field's title
    for kind in KINDS:
        assert "``" not in client.get(f"/kinds/{kind}/").content.decode(), kind


def test_charts_ticks_stay_inside_the_plot():
    panel = charts.line_panel({"loss": [5.0, 1.0, 0.5]}, "Loss", "loss")
    assert all(panel.top <= t.at <= panel.bottom for t in panel.y_ticks)
    assert charts.line_panel({"loss": [float("nan")]}, "Loss", "loss") is None
    assert charts.sparkline(np.array([np.nan, 1.0])) == ""
    assert len(charts.sparkline(np.sin(np.arange(5000.0))).split()) <= 240
