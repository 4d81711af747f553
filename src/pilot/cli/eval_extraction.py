"""`pilot eval extraction`: action/decision/problem extraction scored against AMI gold."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pilot.cli.common import console, err_console, handle_errors


def register(eval_app: typer.Typer) -> None:
    eval_app.command("extraction")(eval_extraction)


@handle_errors
def eval_extraction(
    data_dir: Path = typer.Option(
        ..., "--data-dir", help="Folder with ami/ and qmsum/ (see evaldata/README.md)."
    ),
    split: str = typer.Option("val", "--split", help="QMSum split folder: train, val or test."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    predictions_out: Path | None = typer.Option(
        None, "--predictions-out", help="Write <meeting id>.json with the predicted item texts per meeting."
    ),
) -> None:
    """Run the extraction engine (LLM when PILOT_LLM_* is set, else offline) on a split and score it."""
    from pilot.evals.extraction import run_extraction_eval

    def note(meeting_id: str) -> None:
        if not as_json:
            err_console.print(f"extracting {meeting_id}", highlight=False)

    report = run_extraction_eval(data_dir, split, predictions_out=predictions_out, progress=note)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    scores = report["scores"]
    assert isinstance(scores, dict)
    console.print(f"extraction on {split} ({report['meetings']} meetings), engine {report['engine']}")
    for kind in ("actions", "decisions", "problems"):
        s = scores[kind]
        console.print(f"  {kind:<10} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}")
    console.print(f"  macro F1 {scores['macro_f1']:.3f}")
    console.print(
        f"  actions margin over the template baseline {report['actions_margin_over_template']:+.3f}"
    )
