"""`pilot eval ...`: quality suites on public data. Each suite module adds one command.

The group sits with the evals (a shell on the pipeline, like the CLI): `pilot.cli.main` lists this
module by name among its command modules, so the CLI itself never imports the evals."""

from __future__ import annotations

import importlib

import typer

# Modules that add `pilot eval <suite>`; each defines `register(eval_app: typer.Typer) -> None`.
EVAL_MODULES: list[str] = [
    "pilot.evals.commands.extraction",
    "pilot.evals.commands.retrieval",
    "pilot.evals.commands.grounding",
    "pilot.evals.commands.qa",
]


def register(app: typer.Typer) -> None:
    eval_app = typer.Typer(help="Run quality evaluations and print a JSON report.", no_args_is_help=True)
    for name in EVAL_MODULES:
        importlib.import_module(name).register(eval_app)
    app.add_typer(eval_app, name="eval")
