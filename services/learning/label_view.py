"""Bokeh figures of the labelling page: the projected sample and the clicked spectrum.

The page's script (``static/labelling/label.js``) finds the models by name:
``points`` (the sample's ColumnDataSource), ``scatter`` (its renderer), ``spectrum``
and ``lines`` (sources of the lower plot), ``colour-score``, ``colour-predicted`` and
``colour-label`` (the colour mappings it switches between).
"""

from __future__ import annotations

import numpy as np
from bokeh.layouts import column
from bokeh.models import (
    BoxSelectTool,
    ColumnDataSource,
    HoverTool,
    LassoSelectTool,
    TapTool,
)
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure
from bokeh.transform import factor_cmap, linear_cmap

from services.learning.sample import prediction_text, uncertainty

UNLABELLED, OUTLINE = "#00000000", "#111111"
NOT_SURE, BAD_DATA = "not sure", "bad data"


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
    size = 5 + 9 * ((score - score.min()) / span if span > 0 else np.zeros_like(score))
    label, outline = [], []
    for path in sample["path"]:
        state = labels.get(path) or {}
        label.append(label_text(state, numeric))
        outline.append(OUTLINE if label[-1] else UNLABELLED)
    return {
        "x": sample["x"].astype(np.float32),
        "y": sample["y"].astype(np.float32),
        "rank": sample["rank"].astype(np.int32),
        "row": sample["row"].astype(np.int32),
        "path": sample["path"].tolist(),
        "object": sample["object"].tolist(),
        "score": score.astype(np.float32),
        "uncertainty": uncertainty(sample).astype(np.float32),
        "prediction": prediction_text(sample).tolist(),
        "size": size.astype(np.float32),
        "label": label,
        "outline": outline,
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


def labelling_layout(
    columns: dict, classes: list[str], numeric: bool, *, title: str, wave_label: str = "λ [Å]"
):
    """Scatter plot of the sample (WebGL) above the plot of the clicked spectrum."""
    source = ColumnDataSource(columns, name="points")
    plot = figure(
        title=title,
        height=560,
        sizing_mode="stretch_width",
        output_backend="webgl",
        tools="pan,wheel_zoom,reset,save",
        active_scroll="wheel_zoom",
        x_axis_label="projection x",
        y_axis_label="projection y",
    )
    lasso = LassoSelectTool(continuous=False)
    plot.add_tools(BoxSelectTool(), lasso, TapTool())
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
    factors = [*list(classes), NOT_SURE, BAD_DATA]
    palette = [*_palette(len(classes)), "#999999", "#000000"]
    by_label = factor_cmap("label", palette, factors, nan_color="#dddddd")
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
        line_color="outline",
        line_width=1.6,
        selection_line_color="#ff7f0e",
        nonselection_fill_alpha=0.25,
        nonselection_line_alpha=0.4,
        name="scatter",
    )
    # The page switches to these mappings; referencing them puts them in the document.
    renderer.tags = [by_predicted.transform, by_label.transform]
    plot.add_tools(
        HoverTool(
            renderers=[renderer],
            tooltips=[
                ("id", "@row"),
                ("object", "@object"),
                ("prediction", "@prediction"),
                ("uncertainty", "@uncertainty{0.000}"),
                ("label", "@label"),
            ],
        )
    )
    spectrum = figure(
        title="Click a point to see its spectrum",
        height=300,
        sizing_mode="stretch_width",
        output_backend="webgl",
        tools="pan,wheel_zoom,box_zoom,reset,save",
        x_axis_label=wave_label,
        y_axis_label="flux",
        name="spectrum-plot",
    )
    spectrum_source = ColumnDataSource({"wave": [], "flux": []}, name="spectrum")
    spectrum.line("wave", "flux", source=spectrum_source, color="#2855c8")
    lines = ColumnDataSource({"xs": [], "ys": [], "name": []}, name="lines")
    spectrum.multi_line("xs", "ys", source=lines, color="#d62728", line_dash="dashed")
    spectrum.text(
        x="text_x",
        y="text_y",
        text="name",
        source=ColumnDataSource({"text_x": [], "text_y": [], "name": []}, name="line-names"),
        text_font_size="10px",
        text_color="#d62728",
    )
    return column(plot, spectrum, sizing_mode="stretch_width")


def _palette(n: int) -> list[str]:
    colours = list(Category10_10)
    return [colours[i % len(colours)] for i in range(n)]
