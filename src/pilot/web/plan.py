"""The plan page: the plan graph drawn on a time line with the critical path highlighted, slack
and ticket forecasts per record, and a what-if form (computed on a copy; nothing is saved).

The drawing is server-rendered SVG: no script, no chart library, no CDN.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from pilot.domain.schedule import MilestoneForecast, NodeSchedule, ScheduleResult, SlipPropagation
from pilot.pipeline.schedule import program_schedule
from pilot.web.pages import _session, page, render

router = APIRouter(include_in_schema=False)
Scale = Callable[[date], float]

LABEL_WIDTH = 300
CHART_WIDTH = 860
ROW = 26
TOP = 34
CRITICAL = "#b42318"
NORMAL = "#475467"
MOVED = "#dc6803"
FORECAST = "#1570ef"


@router.get("/p/{program_id}/plan", response_class=HTMLResponse)
@page
def plan_page(
    request: Request,
    program_id: str,
    slip: Annotated[str | None, Query(max_length=64)] = None,
    days: Annotated[int, Query(ge=-250, le=250)] = 5,
) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    what_if = (slip.strip(), days) if slip and slip.strip() else None
    report = program_schedule(pilot, program_id, slip=what_if)
    forecasts = {f.milestone_id: f for f in report.forecasts}
    svg = plan_svg(report.schedule, forecasts, report.what_if, report.what_if_schedule)
    open_nodes = [n for n in report.schedule.nodes if not n.done]
    return render(
        request,
        "plan.html",
        program_id=program_id,
        principal=principal,
        role=role,
        report=report,
        svg=svg,
        nodes=sorted(open_nodes, key=_row_key),
        slip=slip or "",
        days=days,
    )


def _row_key(node: NodeSchedule) -> tuple[date, date, str]:
    return (node.start or date.max, node.finish or date.max, node.id)


def plan_svg(
    schedule: ScheduleResult,
    forecasts: dict[str, MilestoneForecast],
    what_if: SlipPropagation | None = None,
    after: ScheduleResult | None = None,
) -> str:
    """Open work as bars from computed start to finish, arrows from each predecessor, targets as
    ticks, ticket forecasts as P50-P85 whiskers; the critical path in red; with a what-if, the
    bars that move are drawn again where they would land."""
    nodes = sorted((n for n in schedule.nodes if not n.done), key=_row_key)
    if not nodes:
        return '<p class="muted">Nothing left open in the plan.</p>'
    moved = {s.id: s for s in what_if.steps} if what_if else {}
    moved_nodes = {n.id: n for n in after.nodes} if after else {}
    ends = [schedule.finish, *(n.target for n in nodes), *(f.p85 for f in forecasts.values() if f.p85)]
    ends += [s.new_finish for s in moved.values()]
    first, last = schedule.as_of, max(ends) + timedelta(days=7)
    span = max(1, (last - first).days)

    def x(day: date) -> float:
        return round(LABEL_WIDTH + (max(day, first) - first).days / span * CHART_WIDTH, 1)

    row = {n.id: TOP + i * ROW for i, n in enumerate(nodes)}
    height = TOP + len(nodes) * ROW + 10
    path = escape(" -> ".join(schedule.critical_path))
    out = [
        f'<svg class="plan" viewBox="0 0 {LABEL_WIDTH + CHART_WIDTH + 20} {height}" width="100%" role="img" '
        f'aria-label="Plan graph: {len(nodes)} open records; critical path {path}">',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="context-stroke"/></marker></defs>',
    ]
    out += _months(first, last, x, height)
    out += _edges(nodes, row, x, set(schedule.critical_path))
    for node in nodes:
        out += _bar(node, row[node.id], x, node.id in schedule.critical_path, forecasts.get(node.id))
        if node.id in moved and node.id in moved_nodes:
            out += _moved_bar(moved_nodes[node.id], row[node.id], x, moved[node.id].slip_days)
    out.append("</svg>")
    return "\n".join(out)


def _months(first: date, last: date, x: Scale, height: int) -> list[str]:
    out = [f'<text x="{LABEL_WIDTH}" y="14" class="axis">as of {first}</text>']
    day = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    while day <= last:
        out.append(
            f'<line x1="{x(day)}" y1="20" x2="{x(day)}" y2="{height}" class="grid"/>'
            f'<text x="{x(day) + 3}" y="28" class="axis">{day:%b %Y}</text>'
        )
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return out


def _edges(nodes: list[NodeSchedule], row: dict[str, int], x: Scale, critical: set[str]) -> list[str]:
    by_id = {n.id: n for n in nodes}
    out = []
    for node in nodes:
        for pred_id in node.depends_on:
            pred = by_id.get(pred_id)
            if pred is None or pred.finish is None or node.start is None:
                continue
            x1, y1, x2, y2 = x(pred.finish), row[pred_id] + 9, x(node.start), row[node.id] + 9
            hot = pred_id in critical and node.id in critical and pred.finish == node.start
            colour = CRITICAL if hot else "#98a2b3"
            bend = max(12.0, (x2 - x1) / 2)
            out.append(
                f'<path d="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}" fill="none" '
                f'stroke="{colour}" stroke-width="{2 if hot else 1}" marker-end="url(#arrow)"/>'
            )
    return out


def _bar(
    node: NodeSchedule, y: int, x: Scale, critical: bool, forecast: MilestoneForecast | None
) -> list[str]:
    assert node.start is not None and node.finish is not None
    colour = CRITICAL if critical else NORMAL
    label = escape(f"{node.id} {node.name}")
    short = label if len(label) <= 40 else label[:39] + "…"
    slack = "critical" if critical else f"{node.total_float} days slack"
    tip = escape(f"{node.id}: {node.start} to {node.finish}, target {node.target}, {slack}")
    kind = " critical" if critical else ""
    out = [
        f'<g class="node{kind}" data-id="{escape(node.id)}"><title>{tip}</title>',
        f'<text x="4" y="{y + 13}" class="label{kind}">{short}</text>',
    ]
    x1, x2 = x(node.start), x(node.finish)
    if x2 - x1 < 2:  # no work left but waiting: a diamond on its finish
        out.append(f'<path d="M{x2},{y + 2} l7,7 l-7,7 l-7,-7 z" fill="{colour}"/>')
    else:
        out.append(
            f'<rect x="{x1}" y="{y + 3}" width="{round(x2 - x1, 1)}" height="12" rx="2" fill="{colour}"/>'
        )
    out.append(f'<line x1="{x(node.target)}" y1="{y}" x2="{x(node.target)}" y2="{y + 18}" class="target"/>')
    if forecast and forecast.p50 and forecast.p85:
        out.append(
            f'<line x1="{x(forecast.p50)}" y1="{y + 17}" x2="{x(forecast.p85)}" y2="{y + 17}" '
            f'stroke="{FORECAST}" stroke-width="2"/><circle cx="{x(forecast.p50)}" cy="{y + 17}" r="2.5" '
            f'fill="{FORECAST}"><title>P50 {forecast.p50}, P85 {forecast.p85}</title></circle>'
        )
    out.append(f'<text x="{x2 + 10}" y="{y + 13}" class="slack">{escape(slack)}</text></g>')
    return out


def _moved_bar(node: NodeSchedule, y: int, x: Scale, slip: int) -> list[str]:
    if node.start is None or node.finish is None:
        return []
    x1, x2 = x(node.start), x(node.finish)
    return [
        f'<rect x="{x1}" y="{y + 1}" width="{max(2.0, round(x2 - x1, 1))}" height="16" rx="2" fill="none" '
        f'stroke="{MOVED}" stroke-width="2" stroke-dasharray="4 2" class="moved"><title>{escape(node.id)} moves '
        f"{slip} business days, to {node.finish}</title></rect>"
    ]
