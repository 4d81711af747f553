"""`pilot owe`: what a person owes and is owed, the people overview, and the weekly digest."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from pilot.cli.common import console, emit_json, handle_errors, parse_when, pilot_session
from pilot.domain.owe import KIND_NAMES, OweItem, OweReport, PersonLoad
from pilot.pipeline.owe import digest, everyone, people_overview, person_report

ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
PersonOpt = Annotated[
    str | None, typer.Option("--person", help="Person id, name, alias or e-mail (all people when omitted).")
]


def _when(item: OweItem) -> str:
    if item.due is None:
        return f"open {item.age_days} d" if item.age_days is not None else ""
    left = item.days_left or 0
    state = f"{-left} d overdue" if left < 0 else ("today" if left == 0 else f"in {left} d")
    return f"{item.due_label} {item.due} ({state})"


def _items_table(title: str, items: list[OweItem], *, owed: bool) -> Table:
    table = Table(title=title, title_justify="left", expand=False, show_lines=False)
    table.add_column("record", no_wrap=True)
    table.add_column("when", no_wrap=True)
    table.add_column("what")
    for item in items:
        style = "bold red" if item.overdue else ""
        what = f"{KIND_NAMES[item.kind]}: {item.title}"
        if owed:
            what += f" [dim]({item.owner_name or 'unowned'}; {item.why})[/]"
        table.add_row(item.record_id, f"[{style}]{_when(item)}[/]" if style else _when(item), what)
    return table


def print_report(report: OweReport) -> None:
    console.print(
        f"[bold]{report.person_name}[/] ({report.person_id}{', ' + report.team if report.team else ''}) · "
        f"{report.program_name} · as of {report.as_of}",
        highlight=False,
    )
    overdue = sum(i.overdue for i in report.owes)
    console.print(_items_table(f"Owes {len(report.owes)} ({overdue} overdue)", report.owes, owed=False))
    overdue = sum(i.overdue for i in report.owed)
    console.print(_items_table(f"Is owed {len(report.owed)} ({overdue} overdue)", report.owed, owed=True))


def print_overview(loads: list[PersonLoad]) -> None:
    table = Table("person", "team", "owes", "overdue", "is owed", "overdue", title="Open records per person")
    for load in loads:
        table.add_row(
            load.name,
            load.team or "",
            str(load.owes),
            str(load.owes_overdue),
            str(load.owed),
            str(load.owed_overdue),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("owe")
    @handle_errors
    def owe_cmd(
        program: ProgramOpt,
        person: PersonOpt = None,
        as_digest: Annotated[bool, typer.Option("--digest", help="Print the weekly digest instead.")] = False,
        fmt: Annotated[str, typer.Option("--format", help="Digest format: md, html or slack.")] = "md",
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
        now: Annotated[
            str | None, typer.Option("--now", help="As of this ISO timestamp (with offset).")
        ] = None,
    ) -> None:
        """What a person owes (open records they own, decisions they decide) and is owed."""
        when = parse_when(now)
        with pilot_session(when) as ctx:
            reports = [person_report(ctx, program, person)] if person else None
            if reports is None and (as_digest or as_json):
                reports = [r for r in everyone(ctx, program) if r.owes or r.owed]
            loads = people_overview(ctx, program) if reports is None else []
        if as_digest:
            texts = [digest(r, fmt) for r in reports or []]
            if as_json:
                emit_json(
                    [
                        {"person_id": r.person_id, "format": fmt, "digest": t}
                        for r, t in zip(reports or [], texts, strict=True)
                    ]
                )
            else:
                sys.stdout.write(("\n---\n\n" if fmt == "md" else "\n\n").join(texts))
            return
        if as_json:
            emit_json(reports[0] if person and reports else (reports or loads))
            return
        if reports:
            print_report(reports[0])
        else:
            print_overview(loads)
