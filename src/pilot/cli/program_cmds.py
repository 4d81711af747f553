"""`pilot init`, `pilot program import|export|list`, `pilot audit verify` (and `pilot token`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pilot.cli.common import console, emit_json, handle_errors, pilot_session
from pilot.cli.token_cmds import register as register_tokens
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.audit import verify_audit
from pilot.pipeline.programs import export_program, import_program_file, programs

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(app: typer.Typer) -> None:
    program_app = typer.Typer(help="Import, export and list programs.", no_args_is_help=True)
    audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)

    @app.command("init")
    @handle_errors
    def init_cmd(as_json: JsonOpt = False) -> None:
        """Create the data directory and bring the database schema up to date."""
        with pilot_session() as ctx:
            out = {"data_dir": str(ctx.settings.data_dir.resolve()), "database": ctx.db.engine.dialect.name}
        if as_json:
            emit_json(out)
        else:
            console.print(f"pilot is ready: data in {out['data_dir']} ({out['database']})")

    @program_app.command("import")
    @handle_errors
    def import_cmd(
        file: Annotated[Path, typer.Argument(help="Program YAML file.")],
        prune: Annotated[
            bool, typer.Option(help="Delete stored records that the file no longer has.")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Validate a program file and load it (all-or-nothing; re-importing updates)."""
        with pilot_session() as ctx:
            summary = import_program_file(ctx, file, prune=prune)
        if as_json:
            emit_json(summary)
            return
        table = Table(
            "records", "created", "updated", "unchanged", "deleted", title=f"program {summary.program_id}"
        )
        for name in summary.created:
            table.add_row(
                name,
                str(summary.created[name]),
                str(summary.updated[name]),
                str(summary.unchanged[name]),
                str(summary.deleted[name]),
            )
        console.print(table)

    @program_app.command("export")
    @handle_errors
    def export_cmd(
        program: Annotated[str, typer.Option("--program", "-p", help="Program id.")],
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="File to write (default: stdout).")
        ] = None,
    ) -> None:
        """Write a program back out in the import format."""
        with pilot_session() as ctx:
            text = export_program(ctx, program)
        if out is None:
            sys.stdout.write(text)
        else:
            try:
                out.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise PilotError(ErrorCode.INVALID_INPUT, f"cannot write {out}: {exc.strerror}") from exc

    @program_app.command("list")
    @handle_errors
    def list_cmd(as_json: JsonOpt = False) -> None:
        """List the programs in the database."""
        with pilot_session() as ctx:
            infos = programs(ctx)
        if as_json:
            emit_json([i.model_dump(mode="json") for i in infos])
            return
        table = Table("id", "name", "tier", "timezone")
        for info in infos:
            table.add_row(info.id, info.name, str(int(info.tier)), info.timezone)
        console.print(table)

    @audit_app.command("verify")
    @handle_errors
    def verify_cmd(as_json: JsonOpt = False) -> None:
        """Re-derive the audit chain; fail naming the first event that does not match."""
        with pilot_session() as ctx:
            report = verify_audit(ctx)
        if as_json:
            emit_json(report)
        elif report.ok:
            console.print(f"audit chain intact: {report.events} events")
        else:
            console.print(f"[red]audit chain broken at event {report.first_bad_id}[/]: {report.reason}")
        if not report.ok:
            raise typer.Exit(1)

    app.add_typer(program_app, name="program")
    app.add_typer(audit_app, name="audit")
    register_tokens(app)  # `pilot token ...` (cli/token_cmds.py) keeps its place in the help
