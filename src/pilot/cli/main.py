"""`pilot` entry point. Each command group lives in its own module with a `register(app)`."""

from __future__ import annotations

import importlib

import typer

# Modules that add commands; each defines `register(app: typer.Typer) -> None`.
COMMAND_MODULES: list[str] = [
    "pilot.cli.program_cmds",
    "pilot.cli.anomaly_cmds",
    "pilot.cli.serve_cmds",
    "pilot.cli.eval_cmds",
    "pilot.cli.extract_cmds",
    "pilot.cli.review_cmds",
    "pilot.cli.ingest_cmds",
    "pilot.cli.writeback_cmds",
    "pilot.cli.status_cmds",
    "pilot.cli.ask_cmds",
]


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="pilot",
        help="Program intelligence for engineering program managers.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main() -> None:
    build_app()()
