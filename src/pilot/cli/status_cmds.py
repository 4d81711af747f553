"""`pilot status --program P --audience exec`: a grounded status draft into the review queue."""

from __future__ import annotations

from typing import Annotated, Literal

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
from pilot.pipeline.status import create_status_draft, render_status

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def register(app: typer.Typer) -> None:
    @app.command("status")
    @handle_errors
    def status_cmd(
        program: Annotated[str, typer.Option("--program", "-p", help="Program id.")],
        audience: Annotated[
            Literal["exec", "engineering", "product"], typer.Option(help="Who reads it.")
        ] = "exec",
        fmt: Annotated[
            Literal["md", "html", "slack"], typer.Option("--format", help="md, html or slack")
        ] = "md",
        now: Annotated[
            str | None, typer.Option("--now", help="As of this ISO timestamp (with offset).")
        ] = None,
        as_of: AsOfOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """Compute the fact sheet, draft the update, check it, and put it in the review queue."""
        moment, day = parse_as_of(as_of)
        with pilot_session(parse_when(now) or moment, day) as ctx:
            result = create_status_draft(ctx, program, audience)
        if as_json:
            emit_json(
                {
                    "draft": result.draft.model_dump(mode="json"),
                    "findings": [f.model_dump(mode="json") for f in result.draft.findings],
                    "replaced": result.replaced,
                }
            )
            return
        typer.echo(render_status(result.status, fmt))
        for f in result.draft.findings:
            console.print(
                f"[{_STYLE.get(f.severity.value, '')}]{f.severity.value}[/] {f.rule_id}: {f.message}",
                highlight=False,
            )
        console.print(
            f"Draft {result.draft.id} ({len(result.draft.findings)} findings, as of {result.status.fact_sheet.as_of}) "
            "is in the review queue.",
            highlight=False,
        )
        for old in result.replaced:
            console.print(
                f"It replaces the pending {audience} draft {old} (kept as superseded).", highlight=False
            )
