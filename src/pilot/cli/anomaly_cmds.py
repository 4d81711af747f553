"""`pilot anomalies` (scan and list findings and KPIs) and `pilot finding ack|resolve|snooze`."""

from __future__ import annotations

from typing import Annotated

import typer

from pilot.cli.common import (
    AsOfOpt,
    console,
    emit_json,
    handle_errors,
    parse_as_of,
    parse_when,
    pilot_session,
)
from pilot.cli.findings_view import print_findings, print_kpis, print_summary
from pilot.domain.findings import FindingState
from pilot.pipeline.anomalies import anomalies, current_kpis, scan_program, set_finding_state

ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
NowOpt = Annotated[
    str | None, typer.Option("--now", help="Evaluate as of this ISO timestamp (with offset) instead of now.")
]

ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why (recorded in the audit log).")]


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
            bool,
            typer.Option(
                "--all", help="Every finding (info, resolved and cleared too), in full, and every KPI."
            ),
        ] = False,
        now: NowOpt = None,
        as_of: AsOfOpt = None,
    ) -> None:
        """Scan the program, then list its findings and KPI values."""
        moment, day = parse_as_of(as_of)
        with pilot_session(parse_when(now) or moment, day) as ctx:
            from pilot.pipeline.records import program_as_of

            computed_for = program_as_of(ctx, program)
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
                    "as_of": computed_for.isoformat(),
                    "findings": [f.model_dump(mode="json") for f in found],
                    "kpis": [k.model_dump(mode="json") for k in kpis],
                }
            )
            return
        console.print(
            f"as of {computed_for:%Y-%m-%d %H:%M} ({computed_for:%Z})", style="bold", highlight=False
        )
        print_summary(console, program, found, kpis)
        print_findings(console, found, show_all=show_all)
        print_kpis(console, kpis, show_all=show_all)

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
