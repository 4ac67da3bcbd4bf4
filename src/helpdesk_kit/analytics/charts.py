"""Small inline SVG charts for reports: no JavaScript, no network, no dependencies.

Each function returns one ``<svg>`` element as text (labels escaped), sized by ``width``
and ``height`` and scaling with the page (``viewBox``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

__all__ = ["PALETTE", "bar_chart", "column_chart", "donut_chart", "line_chart"]

PALETTE = (
    "#2f6fdf",
    "#e8833a",
    "#2e9e6a",
    "#c9463d",
    "#8a5cc7",
    "#7c8798",
    "#d6a91c",
    "#1aa3b8",
)
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _fmt(v: float) -> str:
    if abs(v) >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="4" y="14" {_FONT} font-weight="600">{escape(title)}</text>',
    ]


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 10.0 ** math.floor(math.log10(v))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if v <= step * exp:
            return step * exp
    return 10.0 * exp  # pragma: no cover


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    fmt: Callable[[float], str] = _fmt,
    width: int = 680,
    height: int = 230,
) -> str:
    """Lines over ``labels`` (one per series); ``None`` leaves a gap."""
    out = _open(width, height, title)
    left, right, top, bottom = 56, 12, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs if v is not None]
    if not labels or not values:
        out.append(f'<text x="{left}" y="{top + 20}" {_FONT}>no data</text></svg>')
        return "".join(out)
    top_v = _nice_max(max(values))
    n = len(labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / top_v

    for k in range(5):
        v = top_v * k / 4
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#e3e6ea"/>'
        )
        out.append(
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" {_FONT}>'
            f"{escape(fmt(v))}</text>"
        )
    step = max(1, math.ceil(n / 10))
    for i in range(0, n, step):
        out.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" {_FONT}>'
            f"{escape(labels[i])}</text>"
        )
    for s, (name, vs) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, point in enumerate(vs):
            if point is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(i):.1f},{y(point):.1f}")
        for run in runs:
            if len(run) > 1:
                out.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                    f'points="{" ".join(run)}"/>'
                )
            elif run:
                cx, cy = run[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{color}"/>')
        lx = left + 8 + 150 * s
        out.append(f'<rect x="{lx}" y="{top - 4}" width="10" height="3" fill="{color}"/>')
        out.append(f'<text x="{lx + 14}" y="{top}" {_FONT}>{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    fmt: Callable[[float], str] = _fmt,
    width: int = 680,
    bar: int = 18,
    color: str = PALETTE[0],
    limit: float | None = None,
    colors: Sequence[str] | None = None,
) -> str:
    """Horizontal bars, one per ``(label, value)``; ``limit`` draws a dashed target line.

    ``colors`` gives each bar its own colour (else all are ``color``).
    """
    label_w = 170
    height = 26 + len(items) * (bar + 6) + 8
    out = _open(width, height, title)
    top_v = _nice_max(max([v for _, v in items] + [limit or 0, 0]))
    plot_w = width - label_w - 70
    for i, (label, v) in enumerate(items):
        y = 26 + i * (bar + 6)
        w = plot_w * max(v, 0) / top_v
        short = label if len(label) <= 26 else label[:25] + "…"
        out.append(
            f'<text x="{label_w - 6}" y="{y + bar - 5}" text-anchor="end" {_FONT}>'
            f"{escape(short)}</text>"
        )
        out.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" '
            f'fill="{colors[i] if colors else color}" rx="2"/>'
        )
        out.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 5}" {_FONT}>{escape(fmt(v))}</text>'
        )
    if limit is not None:
        lx = label_w + plot_w * limit / top_v
        out.append(
            f'<line x1="{lx:.1f}" x2="{lx:.1f}" y1="22" y2="{height - 4}" stroke="#c9463d" '
            'stroke-dasharray="4 3"/>'
        )
    out.append("</svg>")
    return "".join(out)


def column_chart(
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    fmt: Callable[[float], str] = _fmt,
    width: int = 680,
    height: int = 200,
    colors: Sequence[str] | None = None,
) -> str:
    """Vertical columns, one per ``(label, value)``."""
    out = _open(width, height, title)
    left, top, bottom = 12, 26, 30
    n = max(len(items), 1)
    slot = (width - 2 * left) / n
    top_v = _nice_max(max([v for _, v in items] + [0]))
    plot_h = height - top - bottom
    for i, (label, v) in enumerate(items):
        h = plot_h * max(v, 0) / top_v
        x = left + i * slot + slot * 0.15
        color = (colors or PALETTE)[i % len(colors or PALETTE)] if colors else PALETTE[0]
        out.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{color}" rx="2"/>'
        )
        cx = x + slot * 0.35
        out.append(
            f'<text x="{cx:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" {_FONT}>'
            f"{escape(fmt(v))}</text>"
        )
        out.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 14}" text-anchor="middle" {_FONT}>'
            f"{escape(label)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def donut_chart(
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    width: int = 680,
    height: int = 220,
) -> str:
    """A donut of shares (channel mix), with a legend of labels and percentages."""
    out = _open(width, height, title)
    total = sum(max(v, 0) for _, v in items)
    cx, cy, r, inner = 110, 120, 80, 46
    if total <= 0:
        out.append(f'<text x="20" y="60" {_FONT}>no data</text></svg>')
        return "".join(out)
    angle = -math.pi / 2
    for i, (label, v) in enumerate(items):
        share = max(v, 0) / total
        color = PALETTE[i % len(PALETTE)]
        if share >= 0.9999:
            out.append(
                f'<circle cx="{cx}" cy="{cy}" r="{(r + inner) / 2}" fill="none" '
                f'stroke="{color}" stroke-width="{r - inner}"/>'
            )
        elif share > 0:
            end = angle + 2 * math.pi * share
            large = 1 if share > 0.5 else 0
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            x3, y3 = cx + inner * math.cos(end), cy + inner * math.sin(end)
            x4, y4 = cx + inner * math.cos(angle), cy + inner * math.sin(angle)
            out.append(
                f'<path d="M{x1:.1f},{y1:.1f} A{r},{r} 0 {large} 1 {x2:.1f},{y2:.1f} '
                f'L{x3:.1f},{y3:.1f} A{inner},{inner} 0 {large} 0 {x4:.1f},{y4:.1f} Z" '
                f'fill="{color}"/>'
            )
            angle = end
        ly = 40 + i * 20
        out.append(f'<rect x="230" y="{ly - 10}" width="12" height="12" fill="{color}"/>')
        out.append(
            f'<text x="248" y="{ly}" {_FONT}>{escape(label)} — {share:.1%} ({_fmt(v)})</text>'
        )
    out.append("</svg>")
    return "".join(out)
