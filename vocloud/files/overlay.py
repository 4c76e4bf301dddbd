"""Several spectra in one plot: normalised, offset, in the chosen wavelength unit, with marks
at well-known lines. The options come from the page's query string, already validated
here; every path goes through the user's space like any other (operations.overlay)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool, Label, Span
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

MAX_SPECTRA = 12
MAX_POINTS = 20_000  # per curve on the page; longer spectra are thinned for display
NORMALISATIONS = {
    "none": "as stored",
    "median": "divided by its median",
    "max": "divided by its maximum",
}
UNITS = {"AA": ("Å", 1.0), "nm": ("nm", 0.1), "um": ("µm", 1e-4)}  # label, factor from Å
# air wavelengths in Å
LINES = [
    ("Ca II K", 3933.66),
    ("Ca II H", 3968.47),
    ("H\u03b4", 4101.74),
    ("H\u03b3", 4340.47),
    ("H\u03b2", 4861.33),
    ("[O III]", 5006.84),
    ("Mg I b", 5175.36),
    ("He I", 5875.62),
    ("Na I D", 5892.94),
    ("H\u03b1", 6562.80),
]


@dataclass(frozen=True)
class OverlayOptions:
    norm: str = "median"
    offset: float = 0.0  # added to the i-th spectrum i times (after normalising)
    unit: str = "AA"
    lines: bool = True
    wmin: float | None = None  # zoom, in ``unit``
    wmax: float | None = None


def parse_options(params: Mapping[str, str]) -> tuple[OverlayOptions, list[str]]:
    """Options from the query string; what is not understood falls back, with a sentence."""
    notes = []
    norm = str(params.get("norm") or "median")
    if norm not in NORMALISATIONS:
        notes.append("Unknown normalisation: each spectrum is divided by its median.")
        norm = "median"
    unit = str(params.get("unit") or "AA")
    if unit not in UNITS:
        notes.append("Unknown unit: wavelengths in Å.")
        unit = "AA"
    offset = _number(params.get("offset"), notes, "offset") or 0.0
    if abs(offset) > 1e6:
        notes.append("The offset is too large: none is used.")
        offset = 0.0
    wmin = _number(params.get("wmin"), notes, "lower wavelength")
    wmax = _number(params.get("wmax"), notes, "upper wavelength")
    if wmin is not None and wmax is not None and wmin >= wmax:
        notes.append("The wavelength range is empty: the whole range is shown.")
        wmin = wmax = None
    lines = params.get("lines", "on") == "on"
    return OverlayOptions(norm, offset, unit, lines, wmin, wmax), notes


def _number(text, notes: list[str], what: str) -> float | None:
    if text in (None, ""):
        return None
    try:
        value = float(str(text)[:40])
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        notes.append(f"The {what} is not a number: ignored.")
        return None
    return value


def prepare(
    wave_aa: np.ndarray, flux: np.ndarray, options: OverlayOptions, index: int
) -> tuple[np.ndarray, np.ndarray]:
    """One curve as drawn: wavelength in ``options.unit``, flux normalised then offset.

    Parameters
    ----------
    wave_aa, flux : ndarray, shape (n_pix,)
        Wavelength in Å and flux as read.
    index : int
        Position of the spectrum in the overlay (its offset is ``index * options.offset``).

    Returns
    -------
    x, y : ndarray, shape (n_shown,)
        Finite pixels only, thinned to at most :data:`MAX_POINTS`.
    """
    wave_aa = np.asarray(wave_aa, dtype=float)
    flux = np.asarray(flux, dtype=float)
    good = np.isfinite(wave_aa) & np.isfinite(flux)
    wave_aa, flux = wave_aa[good], flux[good]
    scale = 1.0
    if flux.size and options.norm == "median":
        scale = float(np.median(flux))
    elif flux.size and options.norm == "max":
        scale = float(np.max(np.abs(flux)))
    if scale == 0.0 or not math.isfinite(scale):
        scale = 1.0
    x = wave_aa * UNITS[options.unit][1]
    y = flux / scale + index * options.offset
    step = max(1, -(-x.size // MAX_POINTS))
    return x[::step], y[::step]


def overlay_figure(curves: list[tuple[str, np.ndarray, np.ndarray]], options: OverlayOptions):
    """A Bokeh figure of ``(label, x, y)`` curves, with the zoom and line marks asked for."""
    unit_label, factor = UNITS[options.unit]
    ranges = {}
    if options.wmin is not None or options.wmax is not None:
        lows = [float(x.min()) for _label, x, _y in curves if x.size]
        highs = [float(x.max()) for _label, x, _y in curves if x.size]
        low = options.wmin if options.wmin is not None else min(lows, default=0.0)
        high = options.wmax if options.wmax is not None else max(highs, default=1.0)
        ranges["x_range"] = (low, high) if low < high else None
    y_label = "Flux" if options.norm == "none" else f"Flux ({NORMALISATIONS[options.norm]})"
    plot = figure(
        width=900,
        height=420,
        x_axis_label=f"Wavelength [{unit_label}]",
        y_axis_label=y_label + (" + offset" if options.offset else ""),
        tools="pan,wheel_zoom,box_zoom,reset,save",
        sizing_mode="stretch_width",
        output_backend="webgl",
        **{key: value for key, value in ranges.items() if value},
    )
    for i, (label, x, y) in enumerate(curves):
        source = ColumnDataSource({"wave": x, "flux": y, "name": [label] * len(x)})
        color = Category10_10[i % 10]
        plot.line("wave", "flux", source=source, color=color, line_width=1, legend_label=label)
    if options.lines:
        for name, wave_aa in LINES:
            at = wave_aa * factor
            plot.add_layout(
                Span(location=at, dimension="height", line_color="#999", line_dash="dashed")
            )
            plot.add_layout(
                Label(
                    x=at, y=5, y_units="screen", text=name, text_font_size="8pt", text_color="#666"
                )
            )
    plot.add_tools(
        HoverTool(tooltips=[("", "@name"), ("λ", "@wave{0.000}"), ("flux", "@flux{0.000}")])
    )
    if curves:
        plot.legend.click_policy = "hide"
        plot.legend.label_text_font_size = "8pt"
    return plot
