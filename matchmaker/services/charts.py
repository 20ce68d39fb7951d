"""Accessible SVG charts drawn on the server: grouped horizontal bars and lines.

The output is well-formed XML meant to be inlined in a page. It carries a `<title>` and `<desc>` the
`aria-labelledby` of the root names, a text label on every category, the number at every bar or point,
and a `<title>` tooltip per mark. No `style` attribute and no script anywhere (the CSP allows neither):
every colour and font comes from classes in `static/css/charts.css`, so it follows the site's theme.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Number = float | int | None
WIDTH = 720
LABEL_WIDTH = 210  # room for a category label on the left of the bars
VALUE_ROOM = 64  # room for the number printed after the longest bar
NESTED_VALUE_ROOM = 190  # room for four numbers after a nested row
BAR = 18
MIN_BAR = 4  # a non-zero bar is never thinner than this: a 1 next to 889 must still show
BAR_GAP = 3
GROUP_GAP = 14
LEGEND = 30
TICKS = 4  # gridlines above zero on a line chart
MAX_POINT_VALUES = 24


@dataclass(frozen=True)
class Series:
    """One named row of values, one per category; None means no data (drawn as nothing)."""

    name: str
    values: Sequence[Number]


def _text(value) -> str:
    return str(escape(value))


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(label: str) -> str:
    """The label, cut to fit left of the bars; a cut one keeps its full text as a tooltip."""
    if _text_width(label) <= LABEL_WIDTH - 14:
        return _text(label)
    cut = label
    while cut and _text_width(cut + "…") > LABEL_WIDTH - 14:
        cut = cut[:-1]
    return f"{_text(cut.rstrip())}…<title>{_text(label)}</title>"


def _text_width(text: str) -> float:
    """A generous width in pixels at 13px: CJK characters are about twice as wide as Latin ones."""
    return sum(13.5 if ord(char) > 0x2E80 else 7.8 for char in text)


def _nice_step(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k at or above `value`, for round axis ticks; at least 0.5 so that
    ticks printed with one decimal stay exact."""
    if value <= 0.5:
        return 0.5
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value - 1e-12)


def _open(chart_id: str, title: str, desc: str, height: float, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" id="{_text(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {_fmt(height)}" role="img" '
        f'aria-labelledby="{_text(chart_id)}-title {_text(chart_id)}-desc">',
        f'<title id="{_text(chart_id)}-title">{_text(title)}</title>',
        f'<desc id="{_text(chart_id)}-desc">{_text(desc)}</desc>',
    ]


def _legend(series: Sequence[Series]) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = ['<g class="legend">'], LABEL_WIDTH
    for index, item in enumerate(series):
        parts.append(f'<rect class="swatch series-{index}" x="{_fmt(x)}" y="8" width="12" height="12"/>')
        parts.append(f'<text class="legend-label" x="{_fmt(x + 17)}" y="18">{_text(item.name)}</text>')
        x += 30 + _text_width(item.name)
    parts.append("</g>")
    return parts


def bar_chart(chart_id: str, title: str, desc: str, categories: Sequence[str], series: Sequence[Series],
              fmt: Callable[[float], str] = _fmt, colour_by_category: bool = False,
              nested: bool = False) -> Markup:
    """Horizontal bars on one scale from zero, one group per category, the numbers after the bars.

    Each group holds ``len(series)`` bars (a zero or missing value draws a zero-width one). Grouped,
    the bars stand one under the other, each followed by its number. `nested` is for series that
    contain each other (a funnel: every agreed match was connected, every connected one introduced):
    the bars overlap on one row, widest behind, and one label after them lists the numbers in series
    order. `colour_by_category` gives a single series one colour per category.
    """
    rows = 1 if nested else len(series)
    top = LEGEND if len(series) > 1 else 8
    group = rows * (BAR + BAR_GAP) - BAR_GAP
    gap = GROUP_GAP // 2 if nested else GROUP_GAP
    height = top + len(categories) * (group + gap) + 8
    peak = max((v for s in series for v in s.values if v), default=0)
    scale = (WIDTH - LABEL_WIDTH - (NESTED_VALUE_ROOM if nested else VALUE_ROOM)) / (peak or 1)
    parts = _open(chart_id, title, desc, height, "bars") + _legend(series)
    parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" y1="{top - 4}" x2="{LABEL_WIDTH}" '
                 f'y2="{_fmt(height - 6)}"/>')
    for position, category in enumerate(categories):
        y0 = top + position * (group + gap)
        parts.append(f'<g class="group"><text class="label" x="{LABEL_WIDTH - 8}" '
                     f'y="{_fmt(y0 + group / 2 + 5)}">{_label(category)}</text>')
        values = [item.values[position] for item in series]
        widths = []
        for index, (item, value) in enumerate(zip(series, values, strict=True)):
            y = y0 if nested else y0 + index * (BAR + BAR_GAP)
            name = f"{category} · {item.name}" if len(series) > 1 else category
            colour = position if colour_by_category else index
            # Nested bars overlap, widest behind: each one behind keeps a step more of the floor, so a
            # small stage in front never hides a small stage behind it.
            floor = MIN_BAR * (len(series) - index) if nested else MIN_BAR
            width = _bar_width(value, scale, floor)
            widths.append(width)
            parts.append(_bar(colour, y, width, f"{name}: {_shown(value, fmt)}", raised=width > (value or 0) * scale,
                              value=_shown(value, fmt)))
            if not nested:
                parts.append(_value(width, y, _text(_shown(value, fmt))))
        if nested:
            numbers = " · ".join(f'<tspan class="value-{index}">{_text(_shown(value, fmt))}</tspan>'
                                 for index, value in enumerate(values))
            parts.append(_value(max(widths), y0, numbers))
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text and attribute above went through _text


def _bar_width(value: Number, scale: float, floor: float) -> float:
    if not value or value <= 0:
        return 0
    return max(value * scale, floor)


def _bar(colour: int, y: float, width: float, tip: str, raised: bool, value: str) -> str:
    """A bar; `raised` marks one drawn at the floor width rather than to scale (a 1 beside 889)."""
    classes = f"bar series-{colour}" + (" bar-floor" if raised else "")
    return (f'<rect class="{classes}" x="{LABEL_WIDTH}" y="{y}" width="{_fmt(width)}" '
            f'height="{BAR}" data-value="{_text(value)}"><title>{_text(tip)}</title></rect>')


def _value(bar_width: float, y: float, content: str) -> str:
    """The number(s) after a bar; `content` is already escaped markup."""
    return f'<text class="value" x="{_fmt(LABEL_WIDTH + bar_width + 5)}" y="{y + BAR - 4}">{content}</text>'


def _shown(value: Number, fmt: Callable[[float], str]) -> str:
    return "–" if value is None else fmt(value)


def _x_positions(count: int, left: float, right: float) -> list[float]:
    if count == 1:
        return [(left + right) / 2]
    step = (right - left) / (count - 1)
    return [left + i * step for i in range(count)]


def _segments(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive points: a missing value breaks the line rather than inventing one."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def line_chart(chart_id: str, title: str, desc: str, categories: Sequence[str], series: Sequence[Series],
               fmt: Callable[[float], str] = _fmt, unit: str = "") -> Markup:
    """Lines over ordered categories (months), with a point and its number at every value.

    Every category gets an axis label while there are at most 12; beyond that every k-th one and
    the last, so labels never overlap. Numbers are printed at the points up to `MAX_POINT_VALUES`
    categories; beyond that they would collide, and the points keep their tooltips (and the page its
    table) instead.
    """
    height, left, right, top = 300, 56, WIDTH - 24, LEGEND + 12
    bottom = height - 40
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    axis_max = TICKS * _nice_step(peak / TICKS)
    xs = _x_positions(len(categories), left + 16, right - 16)
    parts = _open(chart_id, title, desc, height, "lines") + _legend(series)
    for step in range(TICKS + 1):
        value = axis_max * step / TICKS
        y = bottom - (bottom - top) * step / TICKS
        parts.append(f'<line class="grid" x1="{left}" y1="{_fmt(y)}" x2="{right}" y2="{_fmt(y)}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{_fmt(y + 4)}">{_text(fmt(value))}</text>')
    if unit:
        parts.append(f'<text class="unit" x="{left - 6}" y="{top - 14}">{_text(unit)}</text>')
    every = max(1, math.ceil(len(categories) / 12))
    for index, (x, category) in enumerate(zip(xs, categories, strict=True)):
        if index % every == 0 or index == len(categories) - 1:
            parts.append(f'<text class="label label-x" x="{_fmt(x)}" y="{bottom + 20}">'
                         f'{_text(category)}</text>')
    for index, item in enumerate(series):
        points = [None if v is None else (x, bottom - (bottom - top) * v / axis_max)
                  for x, v in zip(xs, item.values, strict=True)]
        parts.append('<g class="series">')
        for run in _segments(points):
            coords = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in run)
            parts.append(f'<polyline class="line series-{index}" points="{coords}"/>')
        for category, point, value in zip(categories, points, item.values, strict=True):
            if point is None:
                continue
            tip = f"{category}: {fmt(value)} {unit}".strip()
            x, y = point
            parts.append(f'<circle class="point series-{index}" cx="{_fmt(x)}" cy="{_fmt(y)}" r="4">'
                         f'<title>{_text(tip)}</title></circle>')
            if len(categories) <= MAX_POINT_VALUES:
                parts.append(f'<text class="value value-point" x="{_fmt(x)}" y="{_fmt(y - 9)}">'
                             f'{_text(fmt(value))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text and attribute above went through _text
