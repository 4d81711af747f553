"""`pilot ask "question" --program P`: answered from program data or cited documents."""

from __future__ import annotations

from typing import Annotated

import typer

from pilot.cli.common import console, emit_json, handle_errors, parse_when, pilot_session
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
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """Structured questions from program data; open questions from documents, with citations."""
        with pilot_session(parse_when(now)) as ctx:
            answer = ask(ctx, program, question)
        if as_json:
            emit_json(answer)
            return
        console.print(answer.text, highlight=False)
        for row in answer.rows:
            console.print(f"  - {row.text}", highlight=False)
        if answer.kind == "retrieval":
            for i, c in enumerate(answer.citations, start=1):
                where = f", turn {c.turn}" if c.turn is not None else ""
                console.print(f"[{i}] {c.title}{where}: “{c.quote[:240]}”", highlight=False)
        for f in answer.findings:
            console.print(f"[yellow]{f.rule_id}[/]: {f.message}", highlight=False)
