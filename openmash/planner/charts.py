"""Charts as inline SVG, drawn on the server: no script, nothing from elsewhere, and the
site's Content Security Policy allows them (presentation attributes, no style).

Each chart has a title and a description (its text summary) for assistive technology,
and the page shows the same data as a table. Series differ by colour *and* by dash
pattern or label, never by colour alone; every colour has at least 3:1 contrast with
white (WCAG 1.4.11).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

# GOV.UK colours with at least 3:1 contrast against white.
COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#0b0c0c", "#912b88", "#505a5f")
DASHES = ("", "8 4", "2 3", "12 4 2 4", "4 4", "1 6", "16 6")
FONT = "Arial, sans-serif"
TEXT = "#0b0c0c"
GRID = "#b1b4b6"
# About how many characters of 14px text fit in half the legend's width.
LEGEND_HALF_CHARACTERS = 40


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class BarGroup:
    label: str
    bars: Sequence[Bar]


def nice_scale(value: float, ticks: int = 5) -> tuple[float, float]:
    """An axis from 0 covering `value` in about `ticks` steps of 1, 2 or 5 x 10^k:
    (top, step). At least 1, so an empty chart still has an axis."""
    value = max(value, 1.0)
    rough = value / ticks
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return step * math.ceil(value / step - 1e-9), step


def _legend_columns(labels: Sequence[str]) -> int:
    """Two columns of legend if every label fits in half the width, else one."""
    return 2 if max((len(label) for label in labels), default=0) <= LEGEND_HALF_CHARACTERS else 1


def _number(value: float) -> str:
    return f"{value:g}"


def _open(width: int, height: int, chart_id: str, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="{FONT}" font-size="14" class="app-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    x_labels: Sequence[tuple[int, str]],
    y_label: str,
    width: int = 760,
    height: int = 360,
) -> str:
    """Lines over a shared x axis (index 0 to n - 1); `x_labels` puts labels at indexes."""
    left, right, top, bottom = 60, 20, 20, 60
    columns = _legend_columns([line.label for line in series])
    legend_rows = math.ceil(len(series) / columns)
    height += 22 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom - 22 * legend_rows
    points = max((len(line.values) for line in series), default=0)
    y_max, y_step = nice_scale(max((max(line.values, default=0) for line in series), default=0))
    parts = _open(width, height, chart_id, title, description)

    def x(index: int) -> float:
        return left + (plot_w * index / (points - 1) if points > 1 else 0)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    for tick in range(round(y_max / y_step) + 1):
        value = tick * y_step
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{y(value) + 5:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{_number(value)}</text>"
        )
    for index, label in x_labels:
        parts.append(
            f'<line x1="{x(index):.1f}" x2="{x(index):.1f}" y1="{top + plot_h}" '
            f'y2="{top + plot_h + 6}" stroke="{TEXT}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x(index):.1f}" y="{top + plot_h + 22}" text-anchor="middle" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{TEXT}" stroke-width="1"/>'
    )
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" fill="{TEXT}" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    for number, line in enumerate(series):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        coordinates = " ".join(
            f"{x(index):.1f},{y(value):.1f}" for index, value in enumerate(line.values)
        )
        parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        row, column = divmod(number, columns)
        legend_x = left + column * (plot_w / columns)
        legend_y = top + plot_h + 44 + row * 22
        parts.append(
            f'<line x1="{legend_x:.1f}" x2="{legend_x + 36:.1f}" y1="{legend_y - 5}" '
            f'y2="{legend_y - 5}" stroke="{colour}" stroke-width="3"{dash_attr}/>'
        )
        parts.append(
            f'<text x="{legend_x + 44:.1f}" y="{legend_y}" fill="{TEXT}">'
            f"{escape(line.label)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    groups: Sequence[BarGroup],
    legend: Sequence[str],
    y_max: float = 1.0,
    percent: bool = True,
    width: int = 760,
    height: int = 360,
) -> str:
    """Groups of bars (one bar per legend entry in each group), each labelled with its
    value, with a whisker for its 95% interval where known."""
    left, right, top, bottom = 60, 20, 20, 50
    columns = _legend_columns(legend)
    legend_rows = math.ceil(len(legend) / columns)
    height += 22 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom - 22 * legend_rows
    parts = _open(width, height, chart_id, title, description)

    def y(value: float) -> float:
        return top + plot_h - plot_h * min(max(value, 0.0), y_max) / y_max

    def shown(value: float) -> str:
        return f"{value:.0%}" if percent else f"{value:.1f}"

    for step in range(5):
        value = y_max * step / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{y(value) + 5:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{shown(value)}</text>"
        )
    group_w = plot_w / max(1, len(groups))
    bar_w = min(60.0, group_w * 0.8 / max(1, len(legend)))
    for number, group in enumerate(groups):
        start = left + number * group_w + (group_w - bar_w * len(group.bars)) / 2
        for index, bar in enumerate(group.bars):
            colour = COLOURS[index % len(COLOURS)]
            bar_x = start + index * bar_w
            if bar.value is None:
                parts.append(
                    f'<text x="{bar_x + bar_w / 2:.1f}" y="{top + plot_h - 6}" '
                    f'text-anchor="middle" fill="{TEXT}">n/a</text>'
                )
                continue
            parts.append(
                f'<rect x="{bar_x + 2:.1f}" y="{y(bar.value):.1f}" width="{bar_w - 4:.1f}" '
                f'height="{top + plot_h - y(bar.value):.1f}" fill="{colour}"/>'
            )
            if bar.low is not None and bar.high is not None:
                middle = bar_x + bar_w / 2
                parts.append(
                    f'<line x1="{middle:.1f}" x2="{middle:.1f}" y1="{y(bar.low):.1f}" '
                    f'y2="{y(bar.high):.1f}" stroke="{TEXT}" stroke-width="2"/>'
                )
                for end in (bar.low, bar.high):
                    parts.append(
                        f'<line x1="{middle - 6:.1f}" x2="{middle + 6:.1f}" y1="{y(end):.1f}" '
                        f'y2="{y(end):.1f}" stroke="{TEXT}" stroke-width="2"/>'
                    )
            label_y = min(y(bar.value), y(bar.high) if bar.high is not None else y(bar.value))
            parts.append(
                f'<text x="{bar_x + bar_w / 2:.1f}" y="{max(top + 12, label_y - 6):.1f}" '
                f'text-anchor="middle" fill="{TEXT}" font-size="12">{shown(bar.value)}</text>'
            )
        parts.append(
            f'<text x="{left + number * group_w + group_w / 2:.1f}" y="{top + plot_h + 22}" '
            f'text-anchor="middle" fill="{TEXT}" font-weight="bold">{escape(group.label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{TEXT}" stroke-width="1"/>'
    )
    for index, label in enumerate(legend):
        row, column = divmod(index, columns)
        legend_x = left + column * (plot_w / columns)
        legend_y = top + plot_h + 44 + row * 22
        parts.append(
            f'<rect x="{legend_x:.1f}" y="{legend_y - 13}" width="16" height="16" '
            f'fill="{COLOURS[index % len(COLOURS)]}"/>'
        )
        parts.append(
            f'<text x="{legend_x + 24:.1f}" y="{legend_y}" fill="{TEXT}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
