"""Charts of the indicators, drawn on the server: what each shows (model.py), where
everything goes (drawing.py), and the SVG and PNG of it (svg.py, png.py).

    chart = chart_for("backlog", figures["backlog"], suppress=True)
    svg = chart_svg(chart, standalone=True, caption="1 to 30 September 2026")
"""

from openmash.metrics.charts.drawing import chart_drawing
from openmash.metrics.charts.model import (
    CHARTS,
    Chart,
    ChartKind,
    ChartSeries,
    chart_for,
    charts_for,
)
from openmash.metrics.charts.png import drawing_png
from openmash.metrics.charts.svg import drawing_svg


def chart_svg(chart: Chart, *, standalone: bool = False, caption: str = "") -> str:
    """The chart as SVG: inline in a page (its id is chart-<key>), or as a file with its
    title, caption and figures written in (standalone)."""
    drawing = chart_drawing(chart, standalone=standalone, caption=caption)
    return drawing_svg(drawing, element_id=f"chart-{chart.key}", standalone=standalone)


def chart_png(chart: Chart, *, caption: str = "") -> bytes:
    """The chart as a PNG file, laid out as the standalone SVG."""
    return drawing_png(chart_drawing(chart, standalone=True, caption=caption))


__all__ = [
    "CHARTS",
    "Chart",
    "ChartKind",
    "ChartSeries",
    "chart_for",
    "chart_png",
    "chart_svg",
    "charts_for",
]
