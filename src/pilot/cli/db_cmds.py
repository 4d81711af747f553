"""`pilot db upgrade|status`: the database schema as a deploy step."""

from __future__ import annotations

from typing import Annotated

import typer

from pilot.cli.common import console, emit_json, handle_errors
from pilot.pipeline.admin import database_status, upgrade_database
from pilot.settings import get_settings

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(
        help="The database schema: upgrade it (a deploy step) or show its revision.", no_args_is_help=True
    )

    @db_app.command("upgrade")
    @handle_errors
    def upgrade_cmd(as_json: JsonOpt = False) -> None:
        """Migrate the configured database to this pilot's schema (run once per deploy, before
        starting servers and workers; the embedded SQLite default also migrates itself)."""
        status = upgrade_database(get_settings())
        if as_json:
            emit_json(status)
            return
        if status.previous == status.current:
            console.print(f"{status.database}: already at revision {status.current}", highlight=False)
        else:
            console.print(
                f"{status.database}: {status.previous or '(empty)'} -> {status.current}", highlight=False
            )

    @db_app.command("status")
    @handle_errors
    def status_cmd(as_json: JsonOpt = False) -> None:
        """The database's schema revision and the one this pilot needs."""
        status = database_status(get_settings())
        if as_json:
            emit_json(status)
        else:
            verdict = "up to date" if status.up_to_date else "behind: run `pilot db upgrade`"
            console.print(
                f"{status.database}: at {status.current or '(empty)'}, needs {status.needed}: {verdict}",
                highlight=False,
            )
        if not status.up_to_date:
            raise typer.Exit(3)

    app.add_typer(db_app, name="db")
