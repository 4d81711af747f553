"""`pilot eval qa`: ELITR-Bench questions answered from cited passages (offline rule)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pilot.cli.common import console, err_console, handle_errors


def register(eval_app: typer.Typer) -> None:
    eval_app.command("qa")(eval_qa)


@handle_errors
def eval_qa(
    data_dir: Path = typer.Option(
        ..., "--data-dir", help="Folder with elitr-bench/ (see evaldata/README.md)."
    ),
    split: str = typer.Option("dev", "--split", help="dev or test2."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also score the plain recipe."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Per question: retrieve from the meeting, cite passages, check the gold answer is in them."""
    from pilot.evals.qa import run_qa_eval

    def note(meeting: str) -> None:
        if not as_json:
            err_console.print(f"answering {meeting}", highlight=False)

    from pilot.pipeline.llm import configured_llm
    from pilot.settings import get_settings

    llm = configured_llm(get_settings())  # when set: answer accuracy by an LLM judge, beside the rule
    report = run_qa_eval(data_dir, split, baseline=baseline, progress=note, llm=llm)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console.print(
        f"qa on {split}: top_hit {report['top_hit']} over {report['questions']} questions; {report['by_type']}"
    )
    if "recipe" in report:
        console.print(f"plain recipe: top_hit {report['recipe']['top_hit']}; {report['recipe']['by_type']}")
