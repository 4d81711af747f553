"""`pilot plan`: the computed critical path, slack and ticket forecasts, and what a slip would move."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pilot.cli.common import AsOfOpt, console, emit_json, handle_errors, parse_as_of, pilot_session
from pilot.domain.schedule import MilestoneForecast, NodeSchedule, SlipPropagation
from pilot.pipeline.schedule import ProgramSchedule, program_schedule

ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]


def _slack(node: NodeSchedule) -> str:
    if node.total_float is None:
        return ""
    return "critical" if node.critical else f"{node.total_float} bd"


def _buffer(node: NodeSchedule) -> str:
    if node.target_buffer is None:
        return ""
    return (
        f"[bold red]{-node.target_buffer} bd late[/]"
        if node.target_buffer < 0
        else f"{node.target_buffer} bd"
    )


def plan_table(report: ProgramSchedule) -> Table:
    table = Table(title="Open milestones and dependencies", title_justify="left")
    for column in ("record", "name", "target", "finish", "to target", "slack"):
        table.add_column(column, no_wrap=column != "name")
    open_nodes = sorted(
        (n for n in report.schedule.nodes if not n.done), key=lambda n: (n.finish or n.target, n.id)
    )
    for node in open_nodes:
        style = "bold" if node.critical else ""
        table.add_row(
            f"[{style}]{node.id}[/]" if style else node.id,
            node.name,
            str(node.target),
            str(node.finish or ""),
            _buffer(node),
            _slack(node),
        )
    return table


def _chance(forecast: MilestoneForecast) -> str:
    p = forecast.probability_on_target
    return "" if p is None else f"{p:.0%}"


def forecast_table(forecasts: list[MilestoneForecast]) -> Table:
    table = Table(title="Delivery forecasts", title_justify="left")
    for column in ("milestone", "target", "P50", "P85", "on target", "basis"):
        table.add_column(column, no_wrap=column != "basis")
    for f in forecasts:
        basis = (
            f"{f.open_items} open tickets, {f.throughput_per_week or 0:.1f}/week"
            if f.basis == "tickets"
            else f"entered {f.entered_forecast}" + (f" ({f.reason.split(':')[0]})" if f.reason else "")
        )
        table.add_row(f.milestone_id, str(f.target), str(f.p50 or ""), str(f.p85 or ""), _chance(f), basis)
    return table


def print_what_if(what_if: SlipPropagation) -> None:
    console.print(f"[bold]What if[/] {what_if.summary}", highlight=False)
    for step in what_if.steps:
        late = " [bold red]newly late[/]" if step.newly_late else ""
        absorbed = f", {step.absorbed_days} bd of slack absorbed" if step.absorbed_days else ""
        console.print(
            f"  {step.id} {step.name}: {step.old_finish} -> {step.new_finish} "
            f"(+{step.slip_days} bd{absorbed}; target {step.target}){late}",
            highlight=False,
        )
    for gate in what_if.gates_at_risk:
        console.print(
            f"  [bold red]go/no-go at risk[/]: {gate.release} gate {gate.gate}, ready only on {gate.ready_on}",
            highlight=False,
        )
    console.print("[dim]Computed on a copy; no program data changed.[/]")


def print_plan(report: ProgramSchedule) -> None:
    schedule = report.schedule
    path = " -> ".join(schedule.critical_path) or "nothing left to do"
    console.print(f"[bold]Plan[/] {report.program_id} · as of {report.as_of}", highlight=False)
    console.print(f"Computed finish {schedule.finish} ({schedule.finish_id or 'done'})", highlight=False)
    console.print(f"Critical path: {path}", highlight=False)
    console.print(plan_table(report))
    if report.forecasts:
        console.print(forecast_table(report.forecasts))
    if report.what_if is not None:
        print_what_if(report.what_if)


def register(app: typer.Typer) -> None:
    @app.command("plan")
    @handle_errors
    def plan_cmd(
        program: ProgramOpt,
        slip: Annotated[
            str | None, typer.Option("--slip", help="What if this milestone or dependency id slips?")
        ] = None,
        days: Annotated[int, typer.Option("--days", help="Business days of the what-if slip.")] = 5,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
        as_of: AsOfOpt = None,
    ) -> None:
        """The critical path computed from the plan, slack per record, ticket-based forecasts (P50/P85),
        and with --slip what moves downstream (nothing is saved)."""
        moment, day = parse_as_of(as_of)
        with pilot_session(moment, day) as ctx:
            report = program_schedule(ctx, program, slip=(slip.strip(), days) if slip else None)
        if as_json:
            emit_json(report)
            return
        print_plan(report)
