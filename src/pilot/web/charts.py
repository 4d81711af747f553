"""KPI trend charts as inline SVG with axes: dates along x, values in the KPI's unit up y, the
target as a dashed line. No JavaScript, no chart library, nothing fetched."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

WIDTH, HEIGHT = 240, 70
LEFT, RIGHT, TOP, BOTTOM = 36, 22, 6, 18


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value))


def _y_range(values: Sequence[float], target: float | None, ratio: bool) -> tuple[float, float]:
    """From zero (or the lowest value, when below zero) to a round number above the highest."""
    if ratio:
        return 0.0, 1.0
    pool = [*values, *([target] if target is not None else [])]
    lo = min([*pool, 0.0])
    return lo, lo + _nice(max(pool) - lo)


def _ticks(lo: float, hi: float, whole: bool) -> list[float]:
    """Bottom, middle and top; for counts the middle only when it is a whole number."""
    middle = (lo + hi) / 2
    return [lo, hi] if whole and not middle.is_integer() else [lo, middle, hi]


def _x_positions(times: Sequence[datetime]) -> list[float]:
    inner = WIDTH - LEFT - RIGHT
    start, end = times[0], times[-1]
    span = (end - start).total_seconds()
    if span <= 0:  # one moment (or scans in one instant): spread them in order
        step = inner / max(1, len(times) - 1)
        return [LEFT + (i * step if len(times) > 1 else inner / 2) for i in range(len(times))]
    return [LEFT + (t - start).total_seconds() / span * inner for t in times]


def _x_labels(times: Sequence[datetime], xs: Sequence[float]) -> list[str]:
    """First, middle and last dates, each day once: the first anchored left, the last right."""
    chosen: dict[str, int] = {}
    for index in sorted({0, (len(times) - 1) // 2, len(times) - 1}):
        chosen.setdefault(f"{times[index]:%b %d}", index)
    if len(chosen) == 1:  # every point on one day
        day = next(iter(chosen))
        return [
            f'<text class="xlabel" x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle">{day}</text>'
        ]
    anchors = {0: "start", len(times) - 1: "end"}
    return [
        f'<text class="xlabel" x="{xs[i]}" y="{HEIGHT - 6}" text-anchor="{anchors.get(i, "middle")}">{day}</text>'
        for day, i in chosen.items()
    ]


def trend_chart(
    points: Sequence[tuple[datetime, float | None]],
    *,
    ratio: bool = False,
    whole: bool = False,
    target: float | None = None,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    title: str = "",
    zone: ZoneInfo | None = None,
) -> str:
    """A small line chart of a KPI over time, with labelled axes (HTML-escaped SVG markup); dates
    are read in `zone` (the program's time zone)."""
    values = [(when.astimezone(zone) if zone else when, value) for when, value in points if value is not None]
    if not values:
        return '<span class="muted">no history yet: each scan adds a point</span>'
    lo, hi = _y_range([v for _, v in values], target, ratio)
    if whole and hi - lo < 2:
        hi = lo + 2
    plot_h = HEIGHT - TOP - BOTTOM

    def y(v: float) -> float:
        return round(TOP + plot_h - (v - lo) / (hi - lo) * plot_h, 1)

    xs = [round(x, 1) for x in _x_positions([w for w, _ in values])]
    coords = " ".join(f"{x},{y(v)}" for x, (_, v) in zip(xs, values, strict=True))
    parts = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>',
    ]
    for tick in _ticks(lo, hi, whole):
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{y(tick)}" x2="{WIDTH - RIGHT}" y2="{y(tick)}"/>')
        parts.append(
            f'<text class="ylabel" x="{LEFT - 4}" y="{y(tick) + 4}" text-anchor="end">{escape(fmt(tick))}</text>'
        )
    if target is not None and lo <= target <= hi:
        parts.append(
            f'<line class="target" x1="{LEFT}" y1="{y(target)}" x2="{WIDTH - RIGHT}" y2="{y(target)}">'
            f"<title>target {escape(fmt(target))}</title></line>"
        )
    parts += _x_labels([w for w, _ in values], xs)
    if len(values) > 1:
        parts.append(f'<polyline class="line" points="{coords}"/>')
    parts += [
        f'<circle class="point" cx="{x}" cy="{y(v)}" r="2.5"/>' for x, (_, v) in zip(xs, values, strict=True)
    ]
    label = "; ".join(f"{w:%Y-%m-%d}: {fmt(v)}" for w, v in values[-8:])
    return (
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title + ": " if title else "")}{escape(label)}">{"".join(parts)}</svg>'
    )
