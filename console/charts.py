"""Server-side SVG charts: the page needs no script and no asset from outside the project.

Each chart is an <svg> with a viewBox (it scales to its container), a <title> per mark (the
browser shows it on hover and screen readers read it) and, when given, a link per mark to the
list behind it. Colours come from classes styled in console/static/console/console.css.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 76, 40, 12, 28
MAX_X_LABELS = 10


@dataclass
class Series:
    label: str
    values: Sequence[float]
    css: str  # class of its marks: series-a, series-b, series-line
    show: Callable[[float], str] = str  # how a value reads in a tooltip / axis
    links: Sequence[str] = field(default_factory=list)  # one per value, or none


def nice_max(value: float) -> float:
    """The smallest 2/4/6/8/10 x 10^n at or above `value`: an axis top whose half is a whole number too."""
    if value <= 2:
        return 2
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (2, 4, 6, 8, 10) if step * magnitude >= value)


def _mark(tag: str, attributes: str, title: str, link: str | None) -> str:
    """One shape with its tooltip, inside a link when there is one (attributes hold numbers only)."""
    shape = f"<{tag} {attributes}><title>{escape(title)}</title></{tag}>"
    return f'<a href="{escape(link)}">{shape}</a>' if link else shape


def day_chart(labels: Sequence[str], bars: Sequence[Series], line: Series | None = None, *, caption: str) -> SafeString:
    """Grouped bars per day (left axis), optionally a line on its own right axis."""
    count = max(len(labels), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    bar_w = max(1.0, slot * 0.8 / max(len(bars), 1))
    top = nice_max(max((v for s in bars for v in s.values), default=0))
    parts = [_axis(top, bars[0].show if bars else str, LEFT - 4, "end")]
    for n, series in enumerate(bars):
        for i, value in enumerate(series.values):
            height = plot_h * value / top
            x = LEFT + slot * i + slot * 0.1 + bar_w * n
            rect = f'class="{series.css}" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar_w:.1f}" height="{height:.1f}"'
            title = f"{labels[i]} · {series.label}: {series.show(value)}"
            parts.append(_mark("rect", rect, title, series.links[i] if series.links else None))
    if line is not None:
        line_top = nice_max(max(line.values, default=0))
        parts.append(_axis(line_top, line.show, WIDTH - RIGHT + 4, "start"))
        points = [
            (LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * value / line_top) for i, value in enumerate(line.values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="{line.css}" fill="none" points="{path}"/>')
        for i, (x, y) in enumerate(points):
            dot = f'class="{line.css}" cx="{x:.1f}" cy="{y:.1f}" r="3"'
            title = f"{labels[i]} · {line.label}: {line.show(line.values[i])}"
            parts.append(_mark("circle", dot, title, line.links[i] if line.links else None))
    step = math.ceil(count / MAX_X_LABELS)
    for i in range(0, len(labels), step):
        x = LEFT + slot * (i + 0.5)
        parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(labels[i])}</text>')
    legend = [*bars, *([line] if line else [])]
    return _svg(parts, caption, legend)


def _axis(top: float, show, x: float, anchor: str) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    ticks = []
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h - plot_h * fraction
        ticks.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = escape(show(top * fraction))
        ticks.append(f'<text class="axis" x="{x}" y="{y + 4:.1f}" text-anchor="{anchor}">{label}</text>')
    return "".join(ticks)


@dataclass
class Row:
    label: str
    segments: Sequence[tuple[float, str, str, str | None]]  # (value, css class, tooltip, link)
    total_text: str


def bar_rows(rows: Sequence[Row], *, caption: str, legend: Sequence[Series] = ()) -> SafeString:
    """Horizontal bars, one row per item, each bar made of stacked segments (a funnel, a ranking)."""
    row_h, label_w, value_w = 34, 170, 110
    height = max(len(rows), 1) * row_h + 8
    top = max((sum(s[0] for s in row.segments) for row in rows), default=0) or 1
    plot_w = WIDTH - label_w - value_w
    parts = []
    for n, row in enumerate(rows):
        y = 4 + n * row_h
        parts.append(
            f'<text class="label" x="{label_w - 8}" y="{y + 20}" text-anchor="end">{escape(_cut(row.label))}</text>'
        )
        x = float(label_w)
        for value, css, tooltip, link in row.segments:
            width = plot_w * value / top
            rect = f'class="{css}" x="{x:.1f}" y="{y + 6}" width="{width:.1f}" height="20"'
            parts.append(_mark("rect", rect, tooltip, link))
            x += width
        parts.append(f'<text class="value" x="{x + 6:.1f}" y="{y + 20}">{escape(row.total_text)}</text>')
    return _svg(parts, caption, legend, height=height)


def _cut(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _svg(parts: list[str], caption: str, legend: Sequence[Series], height: int = HEIGHT) -> SafeString:
    keys = format_html(
        '<ul class="chart-legend">{}</ul>',
        mark_safe("".join(str(format_html('<li><span class="key {}"></span>{}</li>', s.css, s.label)) for s in legend)),
    )
    body = mark_safe("".join(parts))  # every text above went through escape()
    return format_html(
        '<figure class="chart"><svg viewBox="0 0 {} {}" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">'
        "{}</svg>{}</figure>",
        WIDTH,
        height,
        caption,
        body,
        keys if legend else "",
    )
