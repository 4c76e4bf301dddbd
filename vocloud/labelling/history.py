"""The round history plot: accuracy and calibration against the number of labels.

A round's accuracy comes from its pool check (spectra drawn at random from its pool and
checked by the expert: unbiased) when it has answers, else from the train job's held-out
validation (labels that acquisition chose: biased); the plot says which for each point.
"""

from bokeh.models import ColumnDataSource, HoverTool, LinearAxis, Range1d, Whisker
from bokeh.plotting import figure

POOL, HELD_OUT = "random pool check", "held-out validation"
COLOURS = {POOL: "#1b8a3a", HELD_OUT: "#2855c8"}


def headline(round_status: dict) -> tuple[str, dict] | None:
    """(source, numbers) of a round's point: its pool check if answered, else validation."""
    checked = round_status.get("pool_check")
    if checked and checked.get("n"):
        return POOL, checked
    if round_status.get("validation"):
        return HELD_OUT, round_status["validation"]
    return None


def measured(rounds: list[dict]) -> bool:
    """Whether any round has a number to plot."""
    return any(headline(r) for r in rounds)


def rounds_plot(rounds: list[dict]):
    """Accuracy (with its 95 % interval) or RMSE and the ECE of each finished round's
    model, by labels; the hover says from what and on how many spectra."""
    done = [(r, *headline(r)) for r in rounds if headline(r)]
    numeric = any(shown["name"] == "RMSE" for _, _, shown in done)
    sources = sorted({source for _, source, _ in done}, reverse=True)
    which = " and ".join(sources) if sources else HELD_OUT
    columns = {
        "x": [r["n_labels"] for r, _, _ in done],
        "round": [r["number"] for r, _, _ in done],
        "value": [shown["value"] for _, _, shown in done],
        # no interval (an RMSE, an unknown n): the whisker shrinks to the point
        "low": [_or(shown["low"], shown["value"]) for _, _, shown in done],
        "high": [_or(shown["high"], shown["value"]) for _, _, shown in done],
        "text": [shown["text"] for _, _, shown in done],
        "source": [source for _, source, _ in done],
        "ece": [r["metrics"].get("ece") for r, _, _ in done],
    }
    everything = ColumnDataSource(columns)
    plot = figure(
        title=f"Rounds: accuracy from {which}, against the number of labels"
        if not numeric
        else "Rounds: validation RMSE against the number of labels",
        height=300,
        sizing_mode="stretch_width",
        x_axis_label="labelled spectra",
        y_axis_label="validation RMSE" if numeric else "accuracy (95 % interval)",
        tools="save,reset",
        name="history",
    )
    name = "RMSE" if numeric else "accuracy"
    plot.line("x", "value", source=everything, color="#777777", line_width=2, legend_label=name)
    points = []
    for source in sources:
        keep = [i for i, s in enumerate(columns["source"]) if s == source]
        part = ColumnDataSource({k: [v[i] for i in keep] for k, v in columns.items()})
        colour = COLOURS[source]
        points.append(
            plot.scatter("x", "value", source=part, color=colour, size=8, legend_label=source)
        )
        if not numeric:
            plot.add_layout(
                Whisker(source=part, base="x", lower="low", upper="high", line_color=colour)
            )
    plot.add_tools(
        HoverTool(
            renderers=points,
            tooltips=[("round", "@round"), ("from", "@source"), ("accuracy", "@text")],
        )
    )
    if not numeric:
        plot.y_range = Range1d(0, 1.02)
        plot.extra_y_ranges = {"ece": Range1d(0, 0.5)}
        plot.add_layout(LinearAxis(y_range_name="ece", axis_label="ECE"), "right")
        plot.line(
            "x",
            "ece",
            source=everything,
            color="#d62728",
            line_dash="dashed",
            y_range_name="ece",
            legend_label="ECE (training validation)",
        )
        plot.scatter("x", "ece", source=everything, color="#d62728", size=7, y_range_name="ece")
    plot.legend.location = "bottom_right"
    return plot


def _or(value, default):
    return default if value is None else value
