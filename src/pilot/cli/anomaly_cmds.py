"""`pilot anomalies` (scan and list findings and KPIs) and `pilot finding ack|resolve|snooze`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pilot.cli.common import console, emit_json, handle_errors, parse_when, pilot_session
from pilot.domain.findings import FindingState, KpiValue, StoredFinding
from pilot.pipeline.anomalies import anomalies, current_kpis, scan_program, set_finding_state

ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
NowOpt = Annotated[
    str | None, typer.Option("--now", help="Evaluate as of this ISO timestamp (with offset) instead of now.")
]

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_KPI_STYLE = {"ok": "green", "warning": "yellow", "breach": "bold red", "no_data": "dim"}


ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why (recorded in the audit log).")]


def print_findings(findings: list[StoredFinding]) -> None:
    table = Table("id", "severity", "rule", "finding", "about", "state", title=f"{len(findings)} findings")
    for f in findings:
        style = _SEVERITY_STYLE.get(f.finding.severity.value, "")
        table.add_row(
            str(f.id),
            f"[{style}]{f.finding.severity.value}[/]",
            f.finding.rule_id,
            f.finding.message,
            ", ".join(f.finding.subjects[:4]) + (" ..." if len(f.finding.subjects) > 4 else ""),
            f.state.value,
        )
    console.print(table)


def format_kpi_value(kpi: KpiValue) -> str:
    if kpi.value is None:
        return "-"
    if kpi.unit == "ratio":
        return f"{kpi.value:.0%}"
    return f"{kpi.value:g} {kpi.unit}"


def print_kpis(kpis: list[KpiValue]) -> None:
    table = Table("kpi", "value", "target", "status", "detail", title="KPIs")
    for k in kpis:
        style = _KPI_STYLE.get(k.status.value, "")
        table.add_row(k.name, format_kpi_value(k), k.target, f"[{style}]{k.status.value}[/]", k.detail)
    console.print(table)


def register(app: typer.Typer) -> None:
    finding_app = typer.Typer(
        help="Acknowledge, resolve or snooze a finding (audited).", no_args_is_help=True
    )

    @app.command("anomalies")
    @handle_errors
    def anomalies_cmd(
        program: ProgramOpt,
        as_json: JsonOpt = False,
        no_scan: Annotated[
            bool, typer.Option("--no-scan", help="List stored findings without re-scanning.")
        ] = False,
        show_all: Annotated[
            bool, typer.Option("--all", help="Include resolved and cleared findings.")
        ] = False,
        now: NowOpt = None,
    ) -> None:
        """Scan the program, then list its findings and KPI values."""
        when = parse_when(now)
        with pilot_session(when) as ctx:
            if no_scan:
                found = anomalies(ctx, program, include_inactive=show_all)
                kpis = current_kpis(ctx, program)
            else:
                report = scan_program(ctx, program)
                found = anomalies(ctx, program, include_inactive=show_all) if show_all else report.findings
                kpis = report.kpis
        if not show_all:
            found = [f for f in found if f.state != FindingState.RESOLVED]
        if as_json:
            emit_json(
                {
                    "program": program,
                    "findings": [f.model_dump(mode="json") for f in found],
                    "kpis": [k.model_dump(mode="json") for k in kpis],
                }
            )
            return
        print_findings(found)
        print_kpis(kpis)

    def _change(
        state: FindingState, program: str, finding_id: int, reason: str, until: str | None = None
    ) -> None:
        with pilot_session() as ctx:
            stored = set_finding_state(
                ctx, program, finding_id, state, reason=reason, until=parse_when(until)
            )
        console.print(f"finding {stored.id} is now {stored.state.value} ({stored.finding.rule_id})")

    @finding_app.command("ack")
    @handle_errors
    def ack_cmd(finding_id: int, program: ProgramOpt, reason: ReasonOpt) -> None:
        """Acknowledge a finding: seen, being handled."""
        _change(FindingState.ACKNOWLEDGED, program, finding_id, reason)

    @finding_app.command("resolve")
    @handle_errors
    def resolve_cmd(finding_id: int, program: ProgramOpt, reason: ReasonOpt) -> None:
        """Resolve a finding: it stays resolved until its facts change."""
        _change(FindingState.RESOLVED, program, finding_id, reason)

    @finding_app.command("snooze")
    @handle_errors
    def snooze_cmd(
        finding_id: int,
        program: ProgramOpt,
        reason: ReasonOpt,
        until: Annotated[str, typer.Option("--until", help="ISO timestamp with offset.")],
    ) -> None:
        """Snooze a finding until a time; it reopens if still present then."""
        _change(FindingState.SNOOZED, program, finding_id, reason, until)

    app.add_typer(finding_app, name="finding")
