"""Geometry for the dashboard's charts, drawn by the server as inline SVG (no script, no library).

Charts are stretched to the width of the page (``preserveAspectRatio="none"``), so they hold
only shapes; their words and numbers are HTML beside them, at the reader's own text size,
and in a table. In Urdu, charts run right to left like the page: the newest day on the left.
"""
from dataclasses import dataclass

SLOT = 10  # a column's share of the chart's width, in SVG units (the gap included)
HEIGHT = 100


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    top: int  # the value of the chart's top line
    columns: list


def nice_top(value):
    """The smallest of 2, 4, 6, 8 or 10 times a power of ten that is at least ``value``: an even
    top, so the half-way line is a whole number too."""
    step = 1
    while True:
        for factor in (2, 4, 6, 8, 10):
            if value <= factor * step:
                return factor * step
        step *= 10


def columns(points, rtl=False):
    """A column chart of ``[(label, value)]`` in order of time, oldest first."""
    top = nice_top(max((value for _, value in points), default=0))
    width = SLOT * max(len(points), 1)
    gap = SLOT * (0.2 if len(points) <= 60 else 0.1)
    drawn = []
    for index, (label, value) in enumerate(points):
        height = HEIGHT * value / top
        x = index * SLOT + gap / 2
        if rtl:
            x = width - x - (SLOT - gap)
        drawn.append(Column(round(x, 2), round(HEIGHT - height, 2), SLOT - gap, round(height, 2), label, value))
    return ColumnChart(width, HEIGHT, top, drawn)


def share(value, whole):
    """``value`` as a per cent of ``whole``, for a bar 100 units wide (0 when ``whole`` is 0)."""
    return round(100 * value / whole, 2) if whole else 0


def bar_x(percent, rtl=False):
    """Where a bar ``percent`` wide starts in a 100-unit row: at the end of the reading direction's start."""
    return round(100 - percent, 2) if rtl else 0
