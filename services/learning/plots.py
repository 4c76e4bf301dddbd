"""Plots a person would rather look at than read: standalone HTML files (BokehJS inline,
no network), results of the learning jobs."""

from __future__ import annotations

from pathlib import Path

from bokeh.embed import file_html
from bokeh.plotting import figure
from bokeh.resources import INLINE


def learning_curve(history: dict[str, list[float]], path: Path, title: str) -> None:
    """Loss (and accuracy, when recorded) per epoch, training and validation."""
    plot = figure(
        title=title,
        width=800,
        height=350,
        x_axis_label="epoch",
        y_axis_label="loss",
        sizing_mode="stretch_width",
    )
    colours = {
        "loss": "#2855c8",
        "val_loss": "#d1495b",
        "accuracy": "#2a9d8f",
        "val_accuracy": "#e9c46a",
    }
    for name, values in history.items():
        if name in colours and values:
            plot.line(
                list(range(1, len(values) + 1)),
                values,
                legend_label=name,
                color=colours[name],
                line_width=2,
            )
    plot.legend.location = "top_right"
    path.write_text(file_html(plot, INLINE, title), encoding="utf-8")


def reliability_diagram(bins: list[dict], ece: float, path: Path) -> None:
    """Accuracy against confidence per bin, with the diagonal of perfect calibration."""
    plot = figure(
        title=f"Calibration (ECE = {ece:.3f})",
        width=500,
        height=500,
        x_range=(0, 1),
        y_range=(0, 1),
        x_axis_label="confidence",
        y_axis_label="accuracy",
    )
    plot.line([0, 1], [0, 1], color="#999999", line_dash="dashed")
    plot.vbar(
        x=[(b["lo"] + b["hi"]) / 2 for b in bins],
        top=[b["accuracy"] for b in bins],
        width=[0.9 * (b["hi"] - b["lo"]) for b in bins],
        color="#2855c8",
        alpha=0.7,
    )
    path.write_text(file_html(plot, INLINE, "calibration"), encoding="utf-8")


def rates_with_intervals(rates: list[dict], path: Path, confidence: float) -> None:
    """True-positive rate per class with its binomial interval (whiskers) and counts."""
    names = [r["class"] for r in rates]
    plot = figure(
        title=f'"Am I correct?": true-positive rate per predicted class ({confidence:.0%})',
        x_range=names,
        y_range=(0, 1.05),
        width=700,
        height=400,
        y_axis_label="fraction of checked predictions that were right",
        tooltips=[("class", "@x"), ("rate", "@top{0.000}"), ("checked", "@checked")],
    )
    source = {
        "x": names,
        "top": [r["rate"] for r in rates],
        "low": [r["low"] for r in rates],
        "high": [r["high"] for r in rates],
        "checked": [r["checked"] for r in rates],
    }
    plot.vbar(x="x", top="top", width=0.6, color="#2855c8", alpha=0.7, source=source)
    plot.segment(x0="x", x1="x", y0="low", y1="high", color="#222222", line_width=2, source=source)
    path.write_text(file_html(plot, INLINE, "performance"), encoding="utf-8")
