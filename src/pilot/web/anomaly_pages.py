"""The anomalies page: KPIs with their targets in the same unit and trend charts with axes, then
the findings grouped by rule family, filtered and sorted, resolved ones hidden unless asked for,
each about records that link to their pages. After a scan the page says what changed (new,
re-opened, cleared); after a triage action it says what happened, with the counts recomputed."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from pilot.api.deps import RowId
from pilot.domain.auth import Role
from pilot.domain.findings import FindingState, KpiStatus, KpiValue
from pilot.domain.program import COLLECTIONS
from pilot.pipeline.anomalies import ScanReport, anomalies, current_kpis, kpi_trends, set_finding_state
from pilot.pipeline.context import Pilot
from pilot.pipeline.job_kinds import SCAN_JOB
from pilot.pipeline.jobs import JobRunner, outcome_or_raise
from pilot.pipeline.programs import get_program
from pilot.pipeline.records import record_titles
from pilot.web.anomaly_board import Board, BoardFilters, ScanNotice, action_notice, board, parse_ids
from pilot.web.charts import trend_chart
from pilot.web.labels import KPI_STATUS, kpi_target, kpi_value, rule_label
from pilot.web.pages import _back, _session, page, render
from pilot.web.record_pages import record_url

router = APIRouter(include_in_schema=False)
MAX_SNOOZE_DAYS = 365
Text = Annotated[str, Query(max_length=64)]
Ids = Annotated[str, Query(max_length=4000)]
KPI_ORDER = {KpiStatus.BREACH: 0, KpiStatus.WARNING: 1, KpiStatus.NO_DATA: 2, KpiStatus.OK: 3}


def _target_number(kpi: KpiValue) -> float | None:
    _, _, number = kpi.target.partition(" ")
    try:
        return float(number)
    except ValueError:
        return None


def _charts(pilot: Pilot, program_id: str, kpis: list[KpiValue], zone: ZoneInfo) -> dict[str, str]:
    series = {s.kpi_id: s for s in kpi_trends(pilot, program_id)}
    charts: dict[str, str] = {}
    for kpi in kpis:
        points = [(p.taken_at, p.value) for p in series[kpi.kpi_id].points] if kpi.kpi_id in series else []
        fmt = (lambda v: f"{v * 100:.0f}%") if kpi.unit == "ratio" else (lambda v: f"{v:g}")
        charts[kpi.kpi_id] = trend_chart(
            points,
            ratio=kpi.unit == "ratio",
            whole=kpi.unit in ("count", "per_period"),
            target=_target_number(kpi),
            fmt=fmt,
            title=kpi.name,
            zone=zone,
        )
    return charts


@router.get("/p/{program_id}/anomalies", response_class=HTMLResponse)
@page
def anomalies_page(
    request: Request,
    program_id: str,
    severity: Text = "",
    family: Text = "",
    sort: Text = "severity",
    resolved: bool = False,
    scanned: Text = "",
    new: Ids = "",
    reopened: Ids = "",
    cleared: Ids = "",
    carried: Ids = "",
    done: Text = "",
) -> HTMLResponse:
    pilot, principal, role = _session(request, program_id)
    everything = anomalies(pilot, program_id, include_inactive=True)
    filters = BoardFilters.clean(severity=severity, family=family, sort=sort, resolved=resolved)
    shown: Board = board([f for f in everything if f.active], filters)
    scan = (
        ScanNotice.build(
            everything, scanned, parse_ids(new), parse_ids(reopened), parse_ids(cleared), parse_ids(carried)
        )
        if scanned
        else None
    )
    kpis = sorted(current_kpis(pilot, program_id), key=lambda k: KPI_ORDER.get(k.status, 9))
    zone = ZoneInfo(get_program(pilot, program_id).program.timezone)
    return render(
        request,
        "anomalies.html",
        program_id=program_id,
        principal=principal,
        role=role,
        board=shown,
        filters=filters,
        scan=scan,
        notice=action_notice(everything, done),
        kpis=kpis,
        charts=_charts(pilot, program_id, kpis, zone),
        zone=zone,
        kpi_value=kpi_value,
        kpi_target=kpi_target,
        kpi_status=KPI_STATUS,
        rule_label=rule_label,
        titles=record_titles(pilot, program_id),
        record_types=set(COLLECTIONS.values()),
        record_url=record_url,
        can_edit=role is not None and role.allows(Role.EDITOR),
    )


def _kept_filters(back: str | None) -> str:
    """The filters the page had (from the form), and nothing else, as a query string."""
    pairs = parse_qsl(back or "", keep_blank_values=False)
    return urlencode([(k, v[:64]) for k, v in pairs if k in BoardFilters.KEYS][:8])


@router.post("/p/{program_id}/scan")
@page
def scan_action(request: Request, program_id: str, back: Annotated[str | None, Form()] = None) -> Response:
    """Scan as a short job: back to the page with what changed, or to the job page if it runs long."""
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    runner: JobRunner = request.app.state.runner
    job = runner.submit(SCAN_JOB, program_id, {}, actor=pilot.actor)
    result = outcome_or_raise(runner.wait(job.id, timeout=runner.pilot.settings.job_wait_s))
    if result is None:
        return _back(f"/p/{program_id}/jobs/{job.id}")
    report = ScanReport.model_validate(result)
    s = report.summary
    changes = {
        "scanned": report.scanned_at.strftime("%Y-%m-%d %H:%M"),
        "new": ",".join(map(str, s.new_ids)),
        "reopened": ",".join(map(str, s.reopened_ids)),
        "cleared": ",".join(map(str, s.cleared_ids)),
        "carried": ",".join(map(str, s.carried_ids)),
    }
    query = "&".join(q for q in (_kept_filters(back), urlencode(changes)) if q)
    return _back(f"/p/{program_id}/anomalies?{query}")


@router.post("/p/{program_id}/findings/{finding_id}")
@page
def finding_action(
    request: Request,
    program_id: str,
    finding_id: RowId,
    state: Annotated[FindingState, Form()],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    days: Annotated[int, Form(ge=1, le=MAX_SNOOZE_DAYS)] = 7,
    back: Annotated[str | None, Form()] = None,
) -> Response:
    pilot, _, _ = _session(request, program_id, Role.EDITOR)
    until = pilot.now() + timedelta(days=days) if state == FindingState.SNOOZED else None
    set_finding_state(pilot, program_id, finding_id, state, reason=reason, until=until)
    query = "&".join(
        q for q in (_kept_filters(back), urlencode({"done": f"{state.value}-{finding_id}"})) if q
    )
    return _back(f"/p/{program_id}/anomalies?{query}#findings")
