"""Small server-rendered SVG charts for job pages: geometry only, the templates draw it.

No script runs for them (the CSP allows none inline) and no user text is placed here: the
templates escape every label. Coordinates are in the SVG's own user units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

WIDTH, HEIGHT = 420, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 36  # room for the tick labels and axis titles
COLOURS = ("#2855c8", "#d1495b", "#2a9d8f", "#e9a23b")


@dataclass
class Line:
    label: str
    points: str  # "x,y x,y …" for <polyline>
    colour: str
    dashed: bool = False


@dataclass
class Tick:
    at: float  # position along its axis, in SVG units
    text: str


@dataclass
class Panel:
    """One chart: lines or bars on two axes with ticks, in a WIDTH x HEIGHT box."""

    title: str
    x_label: str
    y_label: str
    lines: list[Line] = field(default_factory=list)
    bars: list[dict] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = WIDTH - LEFT - RIGHT
    plot_height: int = HEIGHT - TOP - BOTTOM
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT

    @property
    def x_label_at(self) -> float:
        return self.left + self.plot_width / 2

    @property
    def y_label_at(self) -> float:
        """Where the rotated y-axis title goes (negative: the SVG is rotated by -90°)."""
        return -(self.top + self.plot_height / 2)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if raw <= m * step)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _scale(low: float, high: float, start: float, length: float, flip: bool = False):
    span = (high - low) or 1.0

    def at(value: float) -> float:
        share = (value - low) / span
        return round(start + length * ((1 - share) if flip else share), 2)

    return at


def line_panel(
    series: dict[str, list[float]], title: str, y_label: str, x_label: str = "epoch"
) -> Panel | None:
    """Each series against 1, 2, …; ``None`` when there is nothing finite to draw.

    Series whose name starts with ``val_`` are drawn dashed (validation beside training).
    """
    clean = {
        name: [float(v) for v in values]
        for name, values in series.items()
        if values and any(math.isfinite(float(v)) for v in values)
    }
    if not clean:
        return None
    panel = Panel(title=title, x_label=x_label, y_label=y_label)
    finite = [v for values in clean.values() for v in values if math.isfinite(v)]
    low, high = min(finite), max(finite)
    if high == low:
        low, high = low - 0.5, high + 0.5
    pad = 0.05 * (high - low)
    low, high = low - pad, high + pad
    n = max(len(v) for v in clean.values())
    x = _scale(1, max(n, 2), panel.left, panel.plot_width)
    y = _scale(low, high, panel.top, panel.plot_height, flip=True)
    for i, (name, values) in enumerate(clean.items()):
        points = " ".join(f"{x(k + 1)},{y(v)}" for k, v in enumerate(values) if math.isfinite(v))
        panel.lines.append(
            Line(name, points, COLOURS[(i // 2) % len(COLOURS)], name.startswith("val_"))
        )
    panel.x_ticks = [Tick(x(t), _fmt(t)) for t in _nice_ticks(1, max(n, 2)) if t >= 1]
    panel.y_ticks = [Tick(y(t), _fmt(t)) for t in _nice_ticks(low, high) if low <= t <= high]
    return panel


def reliability_panel(bins: list[dict]) -> Panel | None:
    """Accuracy against confidence per bin (bars, labelled with each bin's n) and the
    diagonal of perfect calibration."""
    usable = [b for b in bins if {"lo", "hi", "accuracy", "n"} <= set(b)]
    if not usable:
        return None
    panel = Panel(title="Reliability diagram", x_label="confidence", y_label="accuracy")
    x = _scale(0, 1, panel.left, panel.plot_width)
    y = _scale(0, 1, panel.top, panel.plot_height, flip=True)
    for b in usable:
        lo, hi, acc = float(b["lo"]), float(b["hi"]), float(b["accuracy"])
        if not all(math.isfinite(v) for v in (lo, hi, acc)):
            continue
        left, right = x(lo), x(hi)
        panel.bars.append(
            {
                "x": left + 1,
                "y": y(acc),
                "width": max(right - left - 2, 1),
                "height": round(y(0) - y(acc), 2),
                "n": int(b["n"]),
                "label_x": round((left + right) / 2, 2),
                "label_y": round(min(y(acc), y(0) - 4) - 3, 2),
                "title": f"{lo:.1f} to {hi:.1f}: accuracy {acc:.3f}, n = {int(b['n'])}",
            }
        )
    panel.lines.append(Line("perfect calibration", f"{x(0)},{y(0)} {x(1)},{y(1)}", "#999", True))
    ticks = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    panel.x_ticks = [Tick(x(t), _fmt(t)) for t in ticks]
    panel.y_ticks = [Tick(y(t), _fmt(t)) for t in ticks]
    return panel


def sparkline(values: np.ndarray, width: int = 120, height: int = 32) -> str:
    """``<polyline points>`` of a spectrum's finite pixels, scaled into width x height.

    Long spectra are reduced to at most ``2 * width`` points (min and max per column, so
    lines stay visible). "" when nothing is finite.
    """
    flux = np.asarray(values, dtype=np.float64)  # [n_pix]
    finite = np.isfinite(flux)
    if finite.sum() < 2:
        return ""
    index = np.flatnonzero(finite)
    flux = flux[finite]
    columns = np.minimum((index - index[0]) * width // max(index[-1] - index[0], 1), width - 1)
    xs, ys = [], []
    for c in np.unique(columns):
        part = flux[columns == c]
        for v in sorted({float(part.min()), float(part.max())}):
            xs.append(int(c))
            ys.append(v)
    low, high = min(ys), max(ys)
    span = (high - low) or 1.0
    return " ".join(
        f"{x},{round(1 + (height - 2) * (1 - (v - low) / span), 1)}"
        for x, v in zip(xs, ys, strict=True)
    )


def histogram_panel(counts: np.ndarray, edges: np.ndarray, title: str, x_label: str) -> Panel:
    """Bars of ``counts`` (shape (n_bins,)) between ``edges`` (shape (n_bins + 1,))."""
    panel = Panel(title=title, x_label=x_label, y_label="spectra")
    top = max(int(np.max(counts)) if len(counts) else 0, 1)
    x = _scale(float(edges[0]), float(edges[-1]), panel.left, panel.plot_width)
    y = _scale(0, top * 1.1, panel.top, panel.plot_height, flip=True)
    for count, lo, hi in zip(counts, edges[:-1], edges[1:], strict=True):
        left, right = x(float(lo)), x(float(hi))
        panel.bars.append(
            {
                "x": left + 1,
                "y": y(int(count)),
                "width": max(right - left - 2, 1),
                "height": round(y(0) - y(int(count)), 2),
                "n": int(count),
                "label_x": round((left + right) / 2, 2),
                "label_y": round(y(int(count)) - 3, 2),
                "title": f"{lo:.2f} to {hi:.2f}: {int(count)}",
            }
        )
    panel.x_ticks = [Tick(x(float(t)), _fmt(float(t))) for t in edges[::2]]
    panel.y_ticks = [Tick(y(t), _fmt(t)) for t in _nice_ticks(0, top) if t <= top * 1.1]
    return panel
