"""Where everything in a chart goes: axes, gridlines, lines, markers, bars and labels, as
a list of plain shapes that svg.py and png.py each draw the same way.

Series are told apart by colour, marker shape, dash pattern and a legend that shows all
three, never by colour alone; bars carry their values as labels. Text is dark grey on
white (GOV.UK's text colour); gridlines are light, since they only help the eye.
"""

import math
from dataclasses import dataclass, field

from openmash.metrics.charts.model import Chart, ChartKind

TEXT = "#0b0c0c"
AXIS = "#505a5f"
GRID = "#dddddd"
FONT = "Arial, Helvetica, sans-serif"
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ((), (8, 4), (2, 3), (12, 4, 2, 4))
WIDTH = 760
MOST_TICKS = 8
# Markers on every point only while they stay apart.
MOST_MARKED_POINTS = 60
BAR_ROW = 28
BAR_HEIGHT = 18
BAR_LABELS = 300
LABEL_LINE = 17  # the height of a line of a bar's label
CHARACTER_WIDTH = 0.56  # of the font size, for Arial: to fit and truncate labels


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    colour: str
    width: float = 2.0
    dash: tuple[int, ...] = ()


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: int = 14
    anchor: str = "start"  # start, middle or end
    bold: bool = False
    colour: str = TEXT


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    shape: str
    colour: str
    size: float = 4.5


Shape = Line | Rect | Text | Marker


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    title: str
    description: str
    shapes: tuple[Shape, ...] = field(default_factory=tuple)


def text_width(text: str, size: int) -> float:
    return len(text) * size * CHARACTER_WIDTH


def fitted(text: str, width: float, size: int) -> str:
    """The text, cut short with an ellipsis if it would be wider than `width`."""
    most = max(int(width / (size * CHARACTER_WIDTH)), 4)
    return text if len(text) <= most else text[: most - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def wrapped(text: str, width: float, size: int, *, most_lines: int = 3) -> list[str]:
    """The text in lines no wider than `width`, broken between words, so that a long
    label is read whole rather than cut short; only past `most_lines` is the last line
    cut short with an ellipsis."""
    most = max(int(width / (size * CHARACTER_WIDTH)), 4)
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= most:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > most_lines:
        lines = [*lines[: most_lines - 1], " ".join(lines[most_lines - 1 :])]
    return [fitted(line, width, size) for line in lines] or [""]


def nice_scale(largest: float, *, whole: bool) -> tuple[float, float]:
    """(top, step) of an axis from 0 that holds `largest` in about five steps of 1, 2, 2.5
    or 5 times a power of ten (no 2.5 for whole numbers)."""
    if largest <= 0:
        return (5.0, 1.0) if whole else (1.0, 0.2)
    rough = largest / 5
    power = 10 ** math.floor(math.log10(rough))
    steps = (1, 2, 5, 10) if whole and power < 10 else (1, 2, 2.5, 5, 10)
    step = next(each * power for each in steps if each * power >= rough)
    if whole:
        step = max(step, 1)
    return step * math.ceil(largest / step - 1e-9), step


def tick_text(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _header(chart: Chart, standalone: bool, caption: str) -> tuple[list[Shape], float]:
    """The title and caption of a chart that stands alone; where the plot may start."""
    if not standalone:
        return [], 12.0
    shapes: list[Shape] = [Text(16, 28, chart.title, size=18, bold=True)]
    top = 40.0
    if caption:
        lines = wrapped(caption, WIDTH - 32, 14)
        shapes += [
            Text(16, 50 + 18 * number, line, size=14, colour=AXIS)
            for number, line in enumerate(lines)
        ]
        top = 62.0 + 18 * (len(lines) - 1)
    return shapes, top


def _footer(chart: Chart, standalone: bool, height: float) -> tuple[list[Shape], float]:
    if not (standalone and chart.note):
        return [], height
    lines = wrapped(chart.note, WIDTH - 32, 13)
    shapes: list[Shape] = [
        Text(16, height + 18 + 17 * number, line, size=13) for number, line in enumerate(lines)
    ]
    return shapes, height + 28 + 17 * (len(lines) - 1)


def _legend(chart: Chart, top: float) -> tuple[list[Shape], float]:
    """Which line is which: shown unless the one line is what the axis says it is."""
    if all(series.label == chart.value_heading for series in chart.series):
        return [], top
    shapes: list[Shape] = []
    x = 56.0
    y = top + 14
    for index, series in enumerate(chart.series):
        label_width = text_width(series.label, 14)
        if x + 44 + label_width > WIDTH - 16:
            x, y = 56.0, y + 22
        shapes.append(Line(((x, y - 5), (x + 32, y - 5)), series.colour, 2.5, DASHES[index % 4]))
        shapes.append(Marker(x + 16, y - 5, MARKERS[index % 4], series.colour))
        shapes.append(Text(x + 38, y, series.label))
        x += 38 + label_width + 24
    return shapes, y + 14


def _tick_indices(count: int) -> list[int]:
    if count <= MOST_TICKS:
        return list(range(count))
    every = math.ceil(count / MOST_TICKS)
    return list(range(0, count, every))


def line_drawing(chart: Chart, *, standalone: bool = False, caption: str = "") -> Drawing:
    shapes, top = _header(chart, standalone, caption)
    legend, top = _legend(chart, top)
    shapes += legend
    shapes.append(Text(8, top + 14, chart.value_heading, colour=TEXT, bold=True))
    plot_top = top + 28
    plot_bottom = plot_top + 250
    left, right = 64.0, WIDTH - 24.0
    values = [value for each in chart.series for value in each.values if value is not None]
    whole = all(float(value).is_integer() for value in values)
    highest, step = nice_scale(max(values, default=0.0), whole=whole)

    def y_of(value: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * value / highest

    tick = 0.0
    while tick <= highest + 1e-9:
        y = y_of(tick)
        shapes.append(Line(((left, y), (right, y)), GRID if tick else AXIS, 1.0))
        shapes.append(Text(left - 8, y + 5, tick_text(tick), size=13, anchor="end"))
        tick += step
    count = len(chart.categories)

    def x_of(index: int) -> float:
        if count == 1:
            return (left + right) / 2
        return left + (right - left) * index / (count - 1)

    for index in _tick_indices(count):
        x = x_of(index)
        shapes.append(Line(((x, plot_bottom), (x, plot_bottom + 5)), AXIS, 1.0))
        shapes.append(Text(x, plot_bottom + 22, chart.ticks[index], size=13, anchor="middle"))
    shapes.append(
        Text((left + right) / 2, plot_bottom + 44, chart.category_heading, anchor="middle")
    )
    for number, series in enumerate(chart.series):
        dash = DASHES[number % 4]
        shape = MARKERS[number % 4]
        run: list[tuple[float, float]] = []
        runs: list[list[tuple[float, float]]] = []
        for index, value in enumerate(series.values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x_of(index), y_of(value)))
        if run:
            runs.append(run)
        for each in runs:
            if len(each) > 1:
                shapes.append(Line(tuple(each), series.colour, 2.5, dash))
            if len(each) == 1 or count <= MOST_MARKED_POINTS:
                shapes.extend(Marker(x, y, shape, series.colour) for x, y in each)
    footer, height = _footer(chart, standalone, plot_bottom + 56)
    shapes += footer
    return Drawing(WIDTH, math.ceil(height), chart.title, chart.summary, tuple(shapes))


def bar_drawing(chart: Chart, *, standalone: bool = False, caption: str = "") -> Drawing:
    shapes, top = _header(chart, standalone, caption)
    series = chart.series[0]
    left, right = float(BAR_LABELS + 12), WIDTH - 64.0
    values = [value for value in series.values if value is not None]
    highest, step = nice_scale(max(values, default=0.0), whole=True)
    plot_top = top + 8
    # A long category label runs onto a second or third line, its row as tall as it needs.
    labels = [wrapped(label, BAR_LABELS - 8, 14) for label in chart.categories]
    heights = [max(BAR_ROW, LABEL_LINE * len(lines) + 10) for lines in labels]
    plot_bottom = plot_top + sum(heights)

    def x_of(value: float) -> float:
        return left + (right - left) * value / highest

    tick = 0.0
    while tick <= highest + 1e-9:
        x = x_of(tick)
        shapes.append(Line(((x, plot_top), (x, plot_bottom)), GRID if tick else AXIS, 1.0))
        shapes.append(Text(x, plot_bottom + 20, tick_text(tick), size=13, anchor="middle"))
        tick += step
    row_top = plot_top
    for index, lines in enumerate(labels):
        middle = row_top + heights[index] / 2
        row_top += heights[index]
        first = middle + 5 - LABEL_LINE * (len(lines) - 1) / 2
        shapes.extend(
            Text(left - 10, first + LABEL_LINE * number, line, anchor="end")
            for number, line in enumerate(lines)
        )
        value = series.values[index]
        if value is not None and value > 0:
            shapes.append(
                Rect(left, middle - BAR_HEIGHT / 2, x_of(value) - left, BAR_HEIGHT, series.colour)
            )
        end = x_of(value) if value is not None else left
        shapes.append(Text(end + 6, middle + 5, series.texts[index], size=14))
    shapes.append(Text((left + right) / 2, plot_bottom + 42, chart.value_heading, anchor="middle"))
    footer, height = _footer(chart, standalone, plot_bottom + 54)
    shapes += footer
    return Drawing(WIDTH, math.ceil(height), chart.title, chart.summary, tuple(shapes))


def chart_drawing(chart: Chart, *, standalone: bool = False, caption: str = "") -> Drawing:
    """The chart laid out; `standalone` (a download) adds its title, the `caption` (the
    period and filters) and the note on withheld figures, which the page shows as text."""
    if chart.kind == ChartKind.BAR:
        drawing = bar_drawing(chart, standalone=standalone, caption=caption)
    else:
        drawing = line_drawing(chart, standalone=standalone, caption=caption)
    if standalone:
        description = " ".join(part for part in (caption, chart.description) if part)
        return Drawing(drawing.width, drawing.height, chart.title, description, drawing.shapes)
    return drawing
