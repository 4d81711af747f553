"""`pilot delivery sync|import` (GitHub Actions runs, pull requests, Jira changelog) and
`pilot meetings` (meetings by series, with what each produced)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pilot.cli.common import console, emit_json, handle_errors, pilot_session
from pilot.pipeline.delivery import DeliveryReport, DeliverySource, import_delivery, sync_delivery
from pilot.pipeline.signals import list_meetings

ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def print_report(report: DeliveryReport) -> None:
    console.print(
        f"{report.source}: {report.runs} CI runs, {report.pulls} pull requests, {report.tickets} tickets, "
        f"{report.changes} ticket changes read; {report.changed} stored or updated; "
        f"{len(report.failures)} could not be read.",
        highlight=False,
    )
    for failure in report.failures[:20]:
        console.print(f"  - {failure.external_id or '?'}: {failure.error}", markup=False, highlight=False)
    if report.cursor:
        console.print(
            "Next pull resumes from: " + ", ".join(f"{k} {v}" for k, v in report.cursor.items()),
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    delivery_app = typer.Typer(help="Delivery signals from GitHub and Jira.", no_args_is_help=True)

    @delivery_app.command("sync")
    @handle_errors
    def sync_cmd(
        program: ProgramOpt,
        source: Annotated[
            str, typer.Option("--source", help="github (Actions runs, pull requests) or jira (changelog).")
        ],
        as_json: JsonOpt = False,
    ) -> None:
        """Pull what changed since the last pull (needs the GitHub or Jira settings)."""
        chosen: DeliverySource = "github" if source == "github" else "jira"
        if source not in ("github", "jira"):
            raise typer.BadParameter("use github or jira", param_hint="--source")
        with pilot_session() as ctx:
            report = sync_delivery(ctx, program, chosen)
        emit_json(report) if as_json else print_report(report)

    @delivery_app.command("import")
    @handle_errors
    def import_cmd(
        paths: Annotated[list[Path], typer.Argument(help="Saved GitHub/Jira answers: files or folders.")],
        program: ProgramOpt,
        as_json: JsonOpt = False,
    ) -> None:
        """Read saved API answers (runs, pulls, reviews, Jira search with changelog)."""
        with pilot_session() as ctx:
            report = import_delivery(ctx, program, paths)
        emit_json(report) if as_json else print_report(report)

    app.add_typer(delivery_app, name="delivery")

    @app.command("meetings")
    @handle_errors
    def meetings_cmd(program: ProgramOpt, as_json: JsonOpt = False) -> None:
        """Meetings by series, and whether each ended with a decision or an action of record."""
        with pilot_session() as ctx:
            meetings = list_meetings(ctx, program)
        if as_json:
            emit_json([m.model_dump(mode="json") for m in meetings])
            return
        table = Table("series", "date", "outcome", title=f"{len(meetings)} meetings")
        for m in meetings:
            if m.has_outcome:
                actions, decisions = m.approved_actions + len(m.recorded), m.approved_decisions
                what = f"{actions} action{'s' * (actions != 1)}, {decisions} decision{'s' * (decisions != 1)}"
            else:
                what = "[yellow]in review[/]" if m.in_review else "[red]none of record[/]"
            table.add_row(m.series, str(m.held_on), what)
        console.print(table)
