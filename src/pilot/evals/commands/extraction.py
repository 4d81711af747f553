"""`pilot eval extraction`: action/decision/problem extraction scored against AMI gold, or
(`--sample`) the bundled sample transcripts scored against their `gold.yaml`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from pilot.cli.common import console, err_console, handle_errors
from pilot.domain.errors import ErrorCode, PilotError


def register(eval_app: typer.Typer) -> None:
    eval_app.command("extraction")(eval_extraction)


@handle_errors
def eval_extraction(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Folder with ami/ and qmsum/ (see evaldata/README.md)."
    ),
    split: str = typer.Option("val", "--split", help="QMSum split folder: train, val or test."),
    sample: bool = typer.Option(
        False, "--sample", help="Score the bundled sample transcripts against their gold.yaml instead."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    predictions_out: Path | None = typer.Option(
        None, "--predictions-out", help="Write <meeting id>.json with the predicted item texts per meeting."
    ),
) -> None:
    """Run the extraction engine (LLM when PILOT_LLM_* is set, else offline) and score it."""
    if sample:
        _sample(as_json)
        return
    if data_dir is None:
        raise PilotError(ErrorCode.INVALID_INPUT, "give --data-dir (AMI and QMSum) or --sample")
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
    console.print("  type       precision  recall  F1     (precision = share of drafts matching a gold item)")
    for kind in ("actions", "decisions", "problems"):
        s = scores[kind]
        console.print(
            f"  {kind:<10} {s['precision']:.3f}      {s['recall']:.3f}   {s['f1']:.3f}"
            f"  ({s['matched']} of {s['predicted']} drafts, {s['gold']} gold)"
        )
    console.print(f"  macro F1 {scores['macro_f1']:.3f}")
    console.print(
        f"  actions margin over the template baseline {report['actions_margin_over_template']:+.3f}"
    )


def _sample(as_json: bool) -> None:
    from pilot.evals.extraction import default_engine
    from pilot.evals.sample_extraction import run_sample_eval

    report: dict[str, Any] = run_sample_eval(engine=default_engine())
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    items = report["items"]
    console.print(
        f"extraction on the sample transcripts ({report['meetings']} meetings, {report['drafts']} drafts)"
    )
    console.print(
        f"  items      P {items['precision']:.3f}  R {items['recall']:.3f}  F1 {items['f1']:.3f}"
        f"  ({items['matched']} matched, {items['gold']} gold)"
    )
    for kind, s in report["by_kind"].items():
        console.print(f"  {kind:<15} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}")
    console.print(
        f"  owner accuracy {report['owner_accuracy']:.3f}  due accuracy {report['due_accuracy']:.3f}"
        f"  (on {report['matched_actions']} matched action items)"
    )
    console.print(f"  junk share {report['junk_share']:.3f} (drafts matching no gold item)")
    for line in report["junk"]:
        console.print(f"    junk: {line}", highlight=False)
    for line in report["missed"]:
        console.print(f"    missed: {line}", highlight=False)
