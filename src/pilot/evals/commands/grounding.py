"""`pilot eval grounding`: perturbed status drafts against the grounding checks."""

from __future__ import annotations

import json

import typer

from pilot.cli.common import console, handle_errors


def register(eval_app: typer.Typer) -> None:
    eval_app.command("grounding")(eval_grounding)


@handle_errors
def eval_grounding(
    seed: int = typer.Option(20261124, "--seed", help="Seed for the perturbations."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Clean and perturbed status drafts from the sample program's fact sheets; share caught and falsely flagged."""
    from pilot.evals.grounding import run_grounding_eval

    report = run_grounding_eval(seed=seed)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console.print(
        f"{report['cases']} cases: caught {report['caught_share']:.1%} of perturbations, "
        f"flagged {report['clean_flagged_share']:.1%} of clean drafts"
    )
    for name, row in report["per_perturbation"].items():
        console.print(f"  {name:<22} {row['caught']}/{row['cases']}")
