"""A chart as SVG: inline in the page, or a file to download.

Presentation attributes only (no style element or attribute), so the site's Content
Security Policy allows the chart inline. role="img" with its <title> and <desc> says
what it is to assistive technology; the page beside it has the summary and the table.
"""

from xml.sax.saxutils import escape, quoteattr

from openmash.metrics.charts.drawing import FONT, Drawing, Line, Marker, Rect, Text


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _points(points: tuple[tuple[float, float], ...]) -> str:
    return " ".join(f"{_number(x)},{_number(y)}" for x, y in points)


def _marker(marker: Marker) -> str:
    x, y, size, colour = marker.x, marker.y, marker.size, quoteattr(marker.colour)
    if marker.shape == "square":
        side = size * 1.7
        return (
            f'<rect x="{_number(x - side / 2)}" y="{_number(y - side / 2)}" '
            f'width="{_number(side)}" height="{_number(side)}" fill={colour}/>'
        )
    if marker.shape == "triangle":
        corners = (
            (x, y - size * 1.2),
            (x + size * 1.1, y + size * 0.8),
            (x - size * 1.1, y + size * 0.8),
        )
        return f'<polygon points="{_points(corners)}" fill={colour}/>'
    if marker.shape == "diamond":
        diamond = (
            (x, y - size * 1.3),
            (x + size * 1.3, y),
            (x, y + size * 1.3),
            (x - size * 1.3, y),
        )
        return f'<polygon points="{_points(diamond)}" fill={colour}/>'
    return f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(size)}" fill={colour}/>'


def _shape(shape: Line | Rect | Text | Marker) -> str:
    if isinstance(shape, Line):
        dash = f' stroke-dasharray="{" ".join(map(str, shape.dash))}"' if shape.dash else ""
        return (
            f'<polyline points="{_points(shape.points)}" fill="none" '
            f'stroke={quoteattr(shape.colour)} stroke-width="{_number(shape.width)}"{dash} '
            'stroke-linejoin="round" stroke-linecap="round"/>'
        )
    if isinstance(shape, Rect):
        return (
            f'<rect x="{_number(shape.x)}" y="{_number(shape.y)}" width="{_number(shape.width)}" '
            f'height="{_number(shape.height)}" fill={quoteattr(shape.fill)}/>'
        )
    if isinstance(shape, Text):
        weight = ' font-weight="bold"' if shape.bold else ""
        return (
            f'<text x="{_number(shape.x)}" y="{_number(shape.y)}" font-size="{shape.size}" '
            f'text-anchor="{shape.anchor}" fill={quoteattr(shape.colour)}{weight}>'
            f"{escape(shape.text)}</text>"
        )
    return _marker(shape)


def drawing_svg(drawing: Drawing, *, element_id: str, standalone: bool = False) -> str:
    """The SVG element: 100% of its container's width in a page, or its own size as a
    file (with the XML declaration). `element_id` prefixes the title's and desc's ids."""
    size = f'width="{drawing.width}" height="{drawing.height}"' if standalone else 'width="100%"'
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else "",
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {drawing.width} {drawing.height}" '
        f'{size} role="img" aria-labelledby="{element_id}-title" '
        f'aria-describedby="{element_id}-desc" font-family={quoteattr(FONT)} '
        f'id="{element_id}" focusable="false">',
        f'<title id="{element_id}-title">{escape(drawing.title)}</title>',
        f'<desc id="{element_id}-desc">{escape(drawing.description)}</desc>',
        f'<rect width="{drawing.width}" height="{drawing.height}" fill="#ffffff"/>',
        *(_shape(shape) for shape in drawing.shapes),
        "</svg>",
    ]
    return "\n".join(part for part in parts if part)
