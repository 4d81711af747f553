"""`pilot artifact charter|readiness|cutover|raid`: draft an artifact from the program's data,
put it in the review queue, and print it (Markdown or HTML)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from pilot.cli.common import emit_json, err_console, handle_errors, parse_when, pilot_session
from pilot.domain.artifacts import ArtifactKind
from pilot.pipeline.artifacts import create_artifact_draft, export_artifact


class Kind(StrEnum):
    CHARTER = "charter"
    READINESS = "readiness"
    CUTOVER = "cutover"
    RAID = "raid"


KINDS: dict[Kind, ArtifactKind] = {
    Kind.CHARTER: "charter",
    Kind.READINESS: "readiness",
    Kind.CUTOVER: "cutover",
    Kind.RAID: "raid",
}


class Format(StrEnum):
    MD = "md"
    HTML = "html"


def register(app: typer.Typer) -> None:
    @app.command("artifact")
    @handle_errors
    def artifact_cmd(
        kind: Annotated[
            Kind,
            typer.Argument(
                help="charter, readiness (checklist with go/no-go), cutover (with rollback) or raid."
            ),
        ],
        program: Annotated[str, typer.Option("--program", "-p", help="Program id.")],
        release: Annotated[
            str | None,
            typer.Option(
                "--release", help="Milestone id of the release (readiness, cutover); default: the next gate."
            ),
        ] = None,
        fmt: Annotated[
            Format, typer.Option("--format", help="Print as Markdown or an HTML body.")
        ] = Format.MD,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the draft and its findings as JSON.")
        ] = False,
        now: Annotated[
            str | None, typer.Option("--now", help="As of this ISO timestamp (with offset).")
        ] = None,
    ) -> None:
        """Draft an artifact from the program's records; it waits in the review queue."""
        with pilot_session(parse_when(now)) as ctx:
            result = create_artifact_draft(ctx, program, KINDS[kind], release=release)
            text = export_artifact(ctx, program, result.draft.id, fmt.value)
        if as_json:
            emit_json(result)
            return
        sys.stdout.write(text)
        errors = sum(f.severity.value == "error" for f in result.draft.findings)
        err_console.print(
            f"Draft {result.draft.id} is in the review queue ({len(result.draft.findings)} findings, {errors} errors)"
            + (f"; it replaces {len(result.replaced)} pending draft(s)." if result.replaced else "."),
            highlight=False,
        )
