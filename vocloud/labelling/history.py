"""The round history plot: accuracy and calibration against the number of labels."""

from bokeh.models import LinearAxis, Range1d
from bokeh.plotting import figure


def rounds_plot(rounds: list[dict]):
    """Validation accuracy (or RMSE) and ECE of each finished round's model, by labels."""
    done = [r for r in rounds if r["metrics"]]
    x = [r["n_labels"] for r in done]
    numeric = any("rmse" in r["metrics"] for r in done)
    plot = figure(
        title="Rounds: validation metrics against the number of labels",
        height=300,
        sizing_mode="stretch_width",
        x_axis_label="labelled spectra",
        y_axis_label="validation RMSE" if numeric else "validation accuracy",
        tools="save,reset",
        name="history",
    )
    main = [r["metrics"].get("rmse" if numeric else "accuracy") for r in done]
    plot.line(
        x, main, color="#2855c8", line_width=2, legend_label="RMSE" if numeric else "accuracy"
    )
    plot.scatter(x, main, color="#2855c8", size=8)
    if not numeric:
        plot.y_range = Range1d(0, 1.02)
        plot.extra_y_ranges = {"ece": Range1d(0, 0.5)}
        plot.add_layout(LinearAxis(y_range_name="ece", axis_label="ECE"), "right")
        ece = [r["metrics"].get("ece") for r in done]
        plot.line(
            x, ece, color="#d62728", line_dash="dashed", y_range_name="ece", legend_label="ECE"
        )
        plot.scatter(x, ece, color="#d62728", size=7, y_range_name="ece")
    plot.legend.location = "bottom_right"
    return plot
