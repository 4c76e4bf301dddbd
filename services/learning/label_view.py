"""Bokeh figures of the labelling page: the projected sample and the spectrum under review.

The page's script (``static/labelling/label.js``) finds the models by name:
``points`` (the sample's ColumnDataSource), ``scatter`` (its renderer), ``scatter-plot``,
``spectrum-plot``, ``spectrum`` (the spectrum under review), ``reference`` (the labelled
examples' median spectrum it is compared with), ``lines`` and ``line-names`` (spectral line
marks), ``colour-score``, ``colour-predicted`` and ``colour-label`` (the colour mappings
it switches between). Picking and hovering are the page's own (nearest point only), so
the scatter plot has no tap or hover tool.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import BoxSelectTool, ColumnDataSource, LassoSelectTool
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure
from bokeh.transform import factor_cmap, linear_cmap

from services.learning.sample import prediction_text

#: Labelled points are outlined in this colour (the outline is invisible on the others).
OUTLINE = "#444444"
NOT_SURE, BAD_DATA = "not sure", "bad data"
#: Colours of the two marks and of unlabelled points: greys, apart from every class colour.
MARK_COLOURS = {NOT_SURE: "#c7c7c7", BAD_DATA: "#6f6f6f"}
NO_LABEL = "#e4e4e4"
#: The selection is drawn in black with a thick line: no class or score colour is black.
SELECTION = "#000000"


def point_columns(
    sample: dict[str, np.ndarray], labels: dict[str, dict], numeric: bool
) -> dict[str, np.ndarray | list]:
    """The ColumnDataSource data of the scatter plot.

    Parameters
    ----------
    sample : dict of ndarray
        From :func:`services.learning.sample.read_sample`.
    labels : dict
        path -> {value, mark, verdict, predicted} of the spectra labelled so far.
    numeric : bool
        A numeric target: labels are numbers, shown as "labelled".
    """
    score = np.asarray(sample["score"], dtype=np.float64)
    span = float(np.ptp(score)) if score.size else 0.0
    # Bigger points score higher; a crowd of 100,000 gets smaller points (3-7 px instead of
    # 5-12), which overlap less and cost a software-rendered WebGL a third of the pixels.
    smallest, spread = (5.0, 7.0) if score.size <= 20_000 else (3.0, 4.0)
    scaled = (score - score.min()) / span if span > 0 else np.zeros_like(score)
    size = smallest + spread * scaled
    label = []
    for path in sample["path"]:
        state = labels.get(path) or {}
        label.append(label_text(state, numeric))
    return {
        "x": sample["x"].astype(np.float32),
        "y": sample["y"].astype(np.float32),
        "rank": sample["rank"].astype(np.int32),
        "row": sample["row"].astype(np.int32),
        "path": sample["path"].tolist(),
        "object": sample["object"].tolist(),
        "score": score.astype(np.float32),
        "prediction": prediction_text(sample).tolist(),
        "size": size.astype(np.float32),
        "label": label,
        # the outline's opacity, a number: WebGL takes 100k numbers far faster than colours
        "outline": np.array([1.0 if text else 0.0 for text in label], dtype=np.float32),
    }


def label_text(state: dict, numeric: bool) -> str:
    """What the plot shows for a spectrum's label state ("" when unlabelled)."""
    if state.get("mark") == "not_sure":
        return NOT_SURE
    if state.get("mark") == "bad_data":
        return BAD_DATA
    value = state.get("value") or ""
    if numeric and value:
        return f"{float(value):.5g}"
    return value


def labelling_figures(
    columns: dict, classes: list[str], numeric: bool, *, wave_label: str = "λ [Å]"
):
    """The scatter plot of the sample (WebGL) and the plot of the spectrum under review.

    Returns
    -------
    scatter, spectrum : bokeh figures
        Embedded side by side (or stacked on narrow screens) by the page.
    """
    return _scatter(columns, classes, numeric), _spectrum(wave_label)


def _scatter(columns: dict, classes: list[str], numeric: bool):
    source = ColumnDataSource(columns, name="points")
    plot = figure(
        sizing_mode="stretch_both",  # the page gives its box a height that follows the screen
        output_backend="webgl",
        tools="pan,wheel_zoom,reset,save",
        active_scroll="wheel_zoom",
        x_axis_label="projection x",
        y_axis_label="projection y",
        name="scatter-plot",
    )
    plot.toolbar.logo = None
    lasso = LassoSelectTool(continuous=False)
    plot.add_tools(BoxSelectTool(), lasso)
    plot.toolbar.active_drag = lasso
    scores = columns["score"]
    by_score = linear_cmap(
        "score",
        Viridis256,
        float(np.min(scores)) if len(scores) else 0.0,
        float(np.max(scores)) if len(scores) else 1.0,
    )
    by_score.transform.name = "colour-score"
    predicted = sorted(set(columns["prediction"])) if not numeric else []
    colours = _palette(len(classes))
    by_label = factor_cmap(
        "label",
        [*colours, MARK_COLOURS[NOT_SURE], MARK_COLOURS[BAD_DATA]],
        [*list(classes), NOT_SURE, BAD_DATA],
        nan_color=NO_LABEL,
    )
    by_label.transform.name = "colour-label"
    by_predicted = factor_cmap(
        "prediction", _palette(max(len(classes), 1)), list(classes) or predicted, nan_color="#bbb"
    )
    by_predicted.transform.name = "colour-predicted"
    renderer = plot.scatter(
        "x",
        "y",
        source=source,
        size="size",
        fill_color=by_score,
        fill_alpha=0.8,
        line_color=OUTLINE,
        line_alpha="outline",
        line_width=1.4,
        selection_line_color=SELECTION,
        selection_line_width=1.8,
        selection_line_alpha=1.0,
        selection_fill_alpha=1.0,
        nonselection_fill_alpha=0.2,
        nonselection_line_alpha="outline",
        name="scatter",
    )
    # The page switches to these mappings; referencing them puts them in the document.
    renderer.tags = [by_predicted.transform, by_label.transform]
    current = ColumnDataSource({"x": [], "y": []}, name="current")
    plot.scatter(
        "x", "y", source=current, size=22, fill_alpha=0, line_color=SELECTION, line_width=2.5,
        name="current-point",
    )  # fmt: skip
    return plot


def _spectrum(wave_label: str):
    plot = figure(
        sizing_mode="stretch_both",  # one spectrum draws fast on a canvas: one WebGL context
        tools="pan,wheel_zoom,box_zoom,reset,save",
        active_scroll="wheel_zoom",
        x_axis_label=wave_label,
        y_axis_label="flux",
        name="spectrum-plot",
    )
    plot.toolbar.logo = None
    plot.title.text = "Click a point, or press → to review the most uncertain spectrum"
    reference = ColumnDataSource({"wave": [], "flux": []}, name="reference")
    plot.line(
        "wave", "flux", source=reference, color="#ff7f0e", line_width=1.6, alpha=0.8,
        name="reference-line",
    )  # fmt: skip
    source = ColumnDataSource({"wave": [], "flux": []}, name="spectrum")
    plot.line("wave", "flux", source=source, color="#1d2433", line_width=1.2)
    lines = ColumnDataSource({"xs": [], "ys": [], "name": []}, name="lines")
    plot.multi_line("xs", "ys", source=lines, color="#d62728", line_dash="dashed", alpha=0.7)
    plot.text(
        x="text_x",
        y="text_y",
        text="name",
        source=ColumnDataSource({"text_x": [], "text_y": [], "name": []}, name="line-names"),
        text_font_size="10px",
        text_color="#d62728",
        angle=1.5708,
        text_align="right",
        text_baseline="bottom",
    )
    return plot


def _palette(n: int) -> list[str]:
    colours = list(Category10_10)
    return [colours[i % len(colours)] for i in range(n)]
