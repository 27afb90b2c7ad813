"""A chart as a PNG picture, drawn by Pillow from the same shapes as the SVG: no browser,
Cairo or other system library, and the font Pillow carries (so it looks the same on
every machine)."""

import io
import itertools
import math
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from openmash.metrics.charts.drawing import Drawing, Line, Marker, Rect, Text

SCALE = 2  # pixels per unit: sharp on a high-resolution screen or in print
ANCHORS = {"start": "ls", "middle": "ms", "end": "rs"}


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size * SCALE)


def _scaled(points: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    return [(x * SCALE, y * SCALE) for x, y in points]


def _dashed(
    points: list[tuple[float, float]], dash: tuple[int, ...]
) -> list[list[tuple[float, float]]]:
    """The pieces of the polyline drawn with the dash pattern (lengths on, off, ...)."""
    pattern = [float(length * SCALE) for length in dash]
    pieces: list[list[tuple[float, float]]] = []
    index, drawing = 0, True
    left = pattern[0]
    current: list[tuple[float, float]] = [points[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        done = 0.0
        while length - done > left:
            done += left
            point = (x0 + (x1 - x0) * done / length, y0 + (y1 - y0) * done / length)
            if drawing:
                current.append(point)
                pieces.append(current)
            current = [point]
            drawing = not drawing
            index = (index + 1) % len(pattern)
            left = pattern[index]
        left -= length - done
        if drawing:
            current.append((x1, y1))
        else:
            current = [(x1, y1)]
    if drawing and len(current) > 1:
        pieces.append(current)
    return pieces


def _line(draw: ImageDraw.ImageDraw, line: Line) -> None:
    points = _scaled(line.points)
    width = round(line.width * SCALE)
    pieces = _dashed(points, line.dash) if line.dash else [points]
    for piece in pieces:
        draw.line(piece, fill=line.colour, width=width, joint="curve")


def _marker(draw: ImageDraw.ImageDraw, marker: Marker) -> None:
    x, y, size = marker.x * SCALE, marker.y * SCALE, marker.size * SCALE
    if marker.shape == "square":
        half = size * 0.85
        draw.rectangle((x - half, y - half, x + half, y + half), fill=marker.colour)
    elif marker.shape == "triangle":
        draw.polygon(
            [
                (x, y - size * 1.2),
                (x + size * 1.1, y + size * 0.8),
                (x - size * 1.1, y + size * 0.8),
            ],
            fill=marker.colour,
        )
    elif marker.shape == "diamond":
        step = size * 1.3
        draw.polygon(
            [(x, y - step), (x + step, y), (x, y + step), (x - step, y)], fill=marker.colour
        )
    else:
        draw.ellipse((x - size, y - size, x + size, y + size), fill=marker.colour)


def drawing_png(drawing: Drawing) -> bytes:
    image = Image.new("RGB", (drawing.width * SCALE, drawing.height * SCALE), "#ffffff")
    draw = ImageDraw.Draw(image)
    for shape in drawing.shapes:
        if isinstance(shape, Line):
            _line(draw, shape)
        elif isinstance(shape, Rect):
            draw.rectangle(
                (
                    shape.x * SCALE,
                    shape.y * SCALE,
                    (shape.x + shape.width) * SCALE,
                    (shape.y + shape.height) * SCALE,
                ),
                fill=shape.fill,
            )
        elif isinstance(shape, Text):
            draw.text(
                (shape.x * SCALE, shape.y * SCALE),
                shape.text,
                fill=shape.colour,
                font=_font(shape.size),
                anchor=ANCHORS[shape.anchor],
                stroke_width=1 if shape.bold else 0,
                stroke_fill=shape.colour,
            )
        else:
            _marker(draw, shape)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
