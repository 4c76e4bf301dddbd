"""Bokeh figures of spectra, embedded in portal pages (BokehJS served at /static/bokeh/)."""

from __future__ import annotations

import numpy as np
from bokeh.embed import components
from bokeh.models import ColumnDataSource, HoverTool
from bokeh.plotting import figure

# bokeh-gl draws output_backend="webgl" plots; without it BokehJS silently uses a canvas.
BOKEH_JS = ["bokeh/js/bokeh.min.js", "bokeh/js/bokeh-gl.min.js", "bokeh/js/bokeh-widgets.min.js"]


def spectrum_figure(
    wave: np.ndarray,
    flux: np.ndarray,
    *,
    title: str = "",
    wave_label: str = "Wavelength [Å]",
    flux_label: str = "Flux",
    width: int = 900,
    height: int = 320,
):
    """A line plot of one spectrum, with pan/zoom and a hover read-out.

    Parameters
    ----------
    wave, flux : ndarray, shape (n_pix,)
        Wavelength and flux; non-finite flux values are left out.
    """
    wave = np.asarray(wave, dtype=float)
    flux = np.asarray(flux, dtype=float)
    good = np.isfinite(wave) & np.isfinite(flux)
    source = ColumnDataSource({"wave": wave[good], "flux": flux[good]})
    plot = figure(
        title=title,
        width=width,
        height=height,
        x_axis_label=wave_label,
        y_axis_label=flux_label,
        tools="pan,wheel_zoom,box_zoom,reset,save",
        sizing_mode="stretch_width",
        output_backend="webgl",
    )
    plot.line("wave", "flux", source=source, line_width=1, color="#2855c8")
    plot.add_tools(
        HoverTool(tooltips=[("λ", "@wave{0.00}"), ("flux", "@flux{0.000e}")], mode="vline")
    )
    return plot


def embed(plot) -> tuple[str, str]:
    """The body of the plot's inline script and its ``<div>``, for a page that loads BOKEH_JS.

    The script comes without its ``<script>`` tag: the page wraps it in one that carries the
    request's Content-Security-Policy nonce (templates/plots/script.html), which this
    library cannot know. Bokeh escapes the document's JSON inside it (no ``</script>``).

    Returns
    -------
    script, div : str
        JavaScript source and an HTML element.
    """
    return components(plot, wrap_script=False)
