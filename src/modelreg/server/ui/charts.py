"""Metric histories as uPlot data: one shared x axis (steps), a y series per line.

Charts are drawn in the browser by the vendored uPlot (static/ui.js reads the JSON
from a ``<script type="application/json">`` data block, which CSP does not execute).
Series are aligned here so the script only draws: x is the sorted union of the steps,
a series has ``null`` where it logged nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from modelreg.tracking_entities import Metric


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    points: Sequence[Metric]


def chart(title: str, lines: Iterable[Line]) -> dict[str, Any]:
    """``{"title", "labels", "x", "ys"}`` for one chart of ``lines`` over steps."""
    lines = list(lines)
    by_line: list[dict[int, float | None]] = []
    steps: set[int] = set()
    for line in lines:
        values: dict[int, float | None] = {}
        for point in line.points:
            value = point.value
            # JSON has no NaN/Infinity; uPlot draws a gap for null.
            values[point.step] = value if math.isfinite(value) else None
        by_line.append(values)
        steps.update(values)
    x = sorted(steps)
    return {
        "title": title,
        "labels": [line.label for line in lines],
        "x": x,
        "ys": [[values.get(step) for step in x] for values in by_line],
    }
