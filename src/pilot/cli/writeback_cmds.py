"""`pilot push DRAFT --to jira|github` and `pilot notify`: approved work out to the team's tools."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from pilot.cli.common import console, emit_json, handle_errors, pilot_session
from pilot.cli.review_cmds import resolve_draft_id
from pilot.pipeline.writeback import notify_findings, push_approved

ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(app: typer.Typer) -> None:
    @app.command("push")
    @handle_errors
    def push_cmd(
        draft: Annotated[str, typer.Argument(help="An approved draft (id or unique prefix).")],
        program: ProgramOpt,
        to: Annotated[
            Literal["jira", "github", "slack"],
            typer.Option("--to", help="jira, github (action items) or slack (status updates)"),
        ] = "jira",
        as_json: JsonOpt = False,
    ) -> None:
        """Push an approved action item to Jira or GitHub, or an approved status update to Slack (once each)."""
        with pilot_session() as ctx:
            result = push_approved(ctx, program, resolve_draft_id(ctx, program, draft), to)
        if as_json:
            emit_json(result)
        else:
            verb = "created" if result.created else "already linked"
            if not result.confirmed:
                verb = "UNCONFIRMED (Slack may or may not have posted it; check the channel, not re-sent)"
            console.print(f"{verb}: {result.external_id} {result.url or ''}", highlight=False)

    @app.command("notify")
    @handle_errors
    def notify_cmd(program: ProgramOpt, as_json: JsonOpt = False) -> None:
        """Post new findings of severity warning or above to the Slack webhook, once each."""
        with pilot_session() as ctx:
            result = notify_findings(ctx, program)
        if as_json:
            emit_json(result)
            return
        console.print(f"notified {result.notified} findings")
        for finding_id in result.unconfirmed_ids:
            console.print(
                f"finding {finding_id}: Slack may or may not have posted it (timeout or server error); "
                "check the channel - it is not re-sent"
            )
