"""A small SVG line plot for benchmark figures (no plotting library is installed)."""

from __future__ import annotations

from html import escape
from pathlib import Path

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#e377c2",
           "#7f7f7f", "#bcbd22")  # fmt: skip
WIDTH, HEIGHT = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 70, 170, 40, 60


def _ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    step = (hi - lo) / (n - 1)
    return [lo + i * step for i in range(n)]


def line_plot(
    series: dict[str, tuple[list[float], list[float]]],
    path: Path,
    *,
    title: str,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] | None = None,
    hlines: tuple[float, ...] = (),
    bands: dict[str, tuple[list[float], list[float]]] | None = None,
) -> Path:
    """Write an SVG with one polyline per series (``name -> (x, y)``) and a legend.

    ``bands`` (``name -> (low, high)``, on the series' x) shades an interval around a
    series, e.g. mean +- 1 sd over seeds.
    """
    xs = [v for x, _ in series.values() for v in x]
    ys = [v for _, y in series.values() for v in y]
    x0, x1 = min(xs), max(xs)
    y0, y1 = y_range or (min(ys), max(ys))
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return TOP + (1 - (min(max(y, y0), y1) - y0) / (y1 - y0)) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#444"/>',
    ]
    for t in _ticks(x0, x1):
        out.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{TOP}" y2="{TOP + plot_h}" '
                   'stroke="#eee"/>')  # fmt: skip
        out.append(f'<text x="{px(t):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">'
                   f"{t:.0f}</text>")  # fmt: skip
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
                   'stroke="#eee"/>')  # fmt: skip
        out.append(f'<text x="{LEFT - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{t:.3g}</text>')
    for h in hlines:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{py(h):.1f}" y2="{py(h):.1f}" '
                   'stroke="#888" stroke-dasharray="4 3"/>')  # fmt: skip
    for i, (name, (x, y)) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        if bands and name in bands:
            low, high = bands[name]
            edge = [*zip(x, high, strict=True), *reversed(list(zip(x, low, strict=True)))]
            shape = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in edge)
            out.append(f'<polygon points="{shape}" fill="{colour}" fill-opacity="0.15" '
                       'stroke="none"/>')  # fmt: skip
        points = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x, y, strict=True))
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        ly = TOP + 16 + i * 20
        out.append(f'<line x1="{LEFT + plot_w + 12}" x2="{LEFT + plot_w + 36}" y1="{ly - 4}" '
                   f'y2="{ly - 4}" stroke="{colour}" stroke-width="3"/>')  # fmt: skip
        out.append(f'<text x="{LEFT + plot_w + 42}" y="{ly}">{escape(name)}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 15}" text-anchor="middle">'
               f"{escape(x_label)}</text>")  # fmt: skip
    out.append(f'<text transform="translate(18,{TOP + plot_h / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(y_label)}</text>')  # fmt: skip
    out.append("</svg>")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")
    return path
