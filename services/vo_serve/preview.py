"""A spectrum's DataLink ``#preview``: a small PNG line plot drawn with Pillow.

VO clients show previews as images (TOPCAT's and Aladin's DataLink windows), so this is a
PNG, not the portal's interactive Bokeh plot: flux against wavelength, the spectrum's
finite unmasked pixels, scaled to the 1st-99th percentile of the flux. No axes text: the
preview says what the spectrum looks like; the numbers are in ``#this``.

Memory: the spectrum once plus one ``WIDTH x HEIGHT`` RGB image (~200 kB).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from services.spectra import SpectrumReadError, read_spectrum
from services.vo_serve.cutout import Unreadable

WIDTH, HEIGHT, MARGIN = 480, 200, 8
LINE, FRAME, BACKGROUND = (31, 84, 160), (190, 190, 190), (255, 255, 255)


def preview_png(path: Path) -> bytes:
    """A ``WIDTH x HEIGHT`` PNG of the spectrum at ``path``.

    Raises
    ------
    Unreadable
        If the file can no longer be read as a spectrum.
    """
    try:
        spectrum = read_spectrum(path)
    except SpectrumReadError as exc:
        raise Unreadable(f"the stored spectrum cannot be read: {exc.reason}") from None
    wave = np.asarray(spectrum.wave, dtype=np.float64)  # [n_pix]
    flux = np.asarray(spectrum.flux, dtype=np.float64)  # [n_pix]
    good = np.isfinite(wave) & np.isfinite(flux)  # [n_pix]
    if spectrum.mask is not None:
        good &= ~np.asarray(spectrum.mask, dtype=bool)
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH - 1, HEIGHT - 1], outline=FRAME)
    if good.sum() >= 2:
        draw.line(_points(wave[good], flux[good]), fill=LINE, width=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _points(wave: np.ndarray, flux: np.ndarray) -> list[tuple[float, float]]:
    """Pixel coordinates of the polyline (at most ~4 points per image column)."""
    step = max(1, wave.size // (4 * WIDTH))
    wave, flux = wave[::step], flux[::step]
    low, high = np.percentile(flux, [1, 99])
    span_flux = high - low if high > low else 1.0
    span_wave = wave[-1] - wave[0] if wave[-1] > wave[0] else 1.0
    x = MARGIN + (wave - wave[0]) / span_wave * (WIDTH - 2 * MARGIN)
    y = HEIGHT - MARGIN - (np.clip(flux, low, high) - low) / span_flux * (HEIGHT - 2 * MARGIN)
    return list(zip(x.tolist(), y.tolist(), strict=True))
