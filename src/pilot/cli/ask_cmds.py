"""`pilot ask "question" --program P`: answered from program data or cited documents."""

from __future__ import annotations

from typing import Annotated

import typer

from pilot.cli.common import console, emit_json, handle_errors, parse_as_of, parse_when, pilot_session
from pilot.pipeline.ask import ask


def register(app: typer.Typer) -> None:
    @app.command("ask")
    @handle_errors
    def ask_cmd(
        question: Annotated[str, typer.Argument(help="A question about the program.")],
        program: Annotated[str, typer.Option("--program", "-p", help="Program id.")],
        now: Annotated[
            str | None, typer.Option("--now", help="As of this ISO timestamp (with offset).")
        ] = None,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="Answer as of this date (YYYY-MM-DD) or ISO timestamp; default: "
                "the program's own as-of date, else now.",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """Structured questions from program data; open questions from documents, with citations."""
        moment, day = parse_as_of(as_of)
        with pilot_session(parse_when(now) or moment, day) as ctx:
            answer = ask(ctx, program, question)
        if as_json:
            emit_json(answer)
            return
        console.print(answer.text, highlight=False)
        if answer.rows:
            console.print("From the program records:", style="bold", highlight=False)
        for row in answer.rows:
            reading = f"[{row.reading}] " if row.reading else ""
            console.print(f"  - {reading}{row.text}", highlight=False)
        if answer.citations:
            console.print("From the documents:", style="bold", highlight=False)
        for i, c in enumerate(answer.citations, start=1):
            where = f", turn {c.turn}" if c.turn is not None else ""
            quote = " ".join(c.quote.split())
            console.print(f"  [{i}] {c.title}{where}: “{quote[:240]}”", highlight=False)
        for f in answer.findings:
            console.print(f"[yellow]{f.rule_id}[/]: {f.message}", highlight=False)
