"""`pilot` entry point. Each command group lives in its own module with a `register(app)`."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperOption

_display_type = TyperOption.display_type_rich


def _display_type_of_value(self: TyperOption, ctx: Any) -> str | None:
    """An on/off flag (and --help) takes no value, so its help shows no type; typer writes "<bool>"."""
    if self.is_flag and self.metavar is None:
        return None
    return _display_type(self, ctx)


# typer 0.29 has no setting for this; every command's help goes through this one method.
TyperOption.display_type_rich = _display_type_of_value  # type: ignore[method-assign]

# Modules that add commands; each defines `register(app: typer.Typer) -> None`.
COMMAND_MODULES: list[str] = [
    "pilot.cli.program_cmds",
    "pilot.cli.anomaly_cmds",
    "pilot.cli.serve_cmds",
    "pilot.evals.commands",
    "pilot.cli.extract_cmds",
    "pilot.cli.review_cmds",
    "pilot.cli.ingest_cmds",
    "pilot.cli.writeback_cmds",
    "pilot.cli.status_cmds",
    "pilot.cli.ask_cmds",
    "pilot.cli.worker_cmds",
    "pilot.cli.owe_cmds",
    "pilot.cli.plan_cmds",
    "pilot.cli.delivery_cmds",
    "pilot.cli.artifact_cmds",
    "pilot.cli.db_cmds",
]


# Top-level commands whose module can be imported alone: a cold `pilot ask` does not pay for
# importing every other command's dependencies.
SINGLE_COMMANDS: dict[str, str] = {"ask": "pilot.cli.ask_cmds"}


def build_app(command: str | None = None) -> typer.Typer:
    app = typer.Typer(
        name="pilot",
        help="Program intelligence for engineering program managers.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    modules = [SINGLE_COMMANDS[command]] if command in SINGLE_COMMANDS else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(app)
    if len(modules) == 1:  # typer runs a lone command without its name: keep `pilot ask ...` working
        app.callback()(lambda: None)
    return app


def main() -> None:
    import sys

    build_app(sys.argv[1] if len(sys.argv) > 1 else None)()
