"""KPI trend charts as inline SVG: no JavaScript, no chart library, readable in any browser."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape


def sparkline(points: Sequence[tuple[datetime, float | None]], *, width: int = 240, height: int = 48,
              ratio: bool = False) -> str:  # fmt: skip
    values = [(when, value) for when, value in points if value is not None]
    if not values:
        return '<span class="muted">no history yet</span>'
    lo = 0.0 if ratio else min(v for _, v in values)
    hi = 1.0 if ratio else max(v for _, v in values)
    span = (hi - lo) or 1.0
    step = width / max(1, len(values) - 1)
    coords = [
        (round(i * step, 1), round(height - 4 - (v - lo) / span * (height - 8), 1))
        for i, (_, v) in enumerate(values)
    ]
    path = " ".join(f"{x},{y}" for x, y in coords)
    last_x, last_y = coords[-1]
    label = ", ".join(f"{w:%Y-%m-%d}: {v:g}" for w, v in values[-6:])
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><polyline fill="none" stroke="currentColor" stroke-width="2" points="{path}"/>'
        f'<circle cx="{last_x}" cy="{last_y}" r="3"/></svg>'
    )
