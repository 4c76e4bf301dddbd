"""The round history plot: accuracy and calibration against the number of labels."""

from bokeh.models import ColumnDataSource, HoverTool, LinearAxis, Range1d, Whisker
from bokeh.plotting import figure


def rounds_plot(rounds: list[dict]):
    """Validation accuracy (with its 95 % interval) or RMSE and the ECE of each finished
    round's model, by labels; the hover says on how many validation spectra."""
    done = [r for r in rounds if r.get("validation")]
    numeric = any(r["validation"]["name"] == "RMSE" for r in done)
    source = ColumnDataSource(
        {
            "x": [r["n_labels"] for r in done],
            "round": [r["number"] for r in done],
            "value": [r["validation"]["value"] for r in done],
            # no interval (an RMSE, an unknown n): the whisker shrinks to the point
            "low": [_or(r["validation"]["low"], r["validation"]["value"]) for r in done],
            "high": [_or(r["validation"]["high"], r["validation"]["value"]) for r in done],
            "text": [r["validation"]["text"] for r in done],
            "ece": [r["metrics"].get("ece") for r in done],
        }
    )
    plot = figure(
        title="Rounds: validation metrics against the number of labels",
        height=300,
        sizing_mode="stretch_width",
        x_axis_label="labelled spectra",
        y_axis_label="validation RMSE" if numeric else "validation accuracy (95 % interval)",
        tools="save,reset",
        name="history",
    )
    name = "RMSE" if numeric else "accuracy"
    plot.line("x", "value", source=source, color="#2855c8", line_width=2, legend_label=name)
    points = plot.scatter("x", "value", source=source, color="#2855c8", size=8)
    if not numeric:
        plot.add_layout(
            Whisker(source=source, base="x", lower="low", upper="high", line_color="#2855c8")
        )
    plot.add_tools(
        HoverTool(renderers=[points], tooltips=[("round", "@round"), ("validation", "@text")])
    )
    if not numeric:
        plot.y_range = Range1d(0, 1.02)
        plot.extra_y_ranges = {"ece": Range1d(0, 0.5)}
        plot.add_layout(LinearAxis(y_range_name="ece", axis_label="ECE"), "right")
        plot.line(
            "x",
            "ece",
            source=source,
            color="#d62728",
            line_dash="dashed",
            y_range_name="ece",
            legend_label="ECE",
        )
        plot.scatter("x", "ece", source=source, color="#d62728", size=7, y_range_name="ece")
    plot.legend.location = "bottom_right"
    return plot


def _or(value, default):
    return default if value is None else value
