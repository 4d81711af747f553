"""`pilot eval retrieval`: QMSum evidence coverage at 200 and 1,000 words, and MRR."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pilot.cli.common import console, err_console, handle_errors


def register(eval_app: typer.Typer) -> None:
    eval_app.command("retrieval")(eval_retrieval)


@handle_errors
def eval_retrieval(
    data_dir: Path = typer.Option(..., "--data-dir", help="Folder with qmsum/ (see evaldata/README.md)."),
    split: str = typer.Option("val", "--split", help="QMSum split folder: train, val or test."),
    retriever: str = typer.Option("default", "--retriever", help="Retriever configuration in retrievers/."),
    baseline: bool = typer.Option(
        True, "--baseline/--no-baseline", help="Also score vector-only and the plain recipe."
    ),
    work_dir: Path | None = typer.Option(
        None, "--work-dir", help="Data folder of the pilot under test (default: a temporary one)."
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="Database of the pilot under test (default: SQLite in the work folder); a PostgreSQL URL must "
        "name a scratch database: the eval upgrades it and adds its programs there.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Ingest each meeting into a pilot and score its specific queries, searched as `pilot search` does."""
    from pilot.evals.retrieval import run_retrieval_eval

    def note(what: str) -> None:
        if not as_json:
            err_console.print(what if what.startswith("ingesting") else f"scoring {what}", highlight=False)

    report = run_retrieval_eval(
        data_dir,
        split,
        retriever=retriever,
        baseline=baseline,
        work_dir=work_dir,
        database_url=database_url,
        progress=note,
    )
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console.print(
        f"retrieval on {split}: {report['queries']} queries over {report['meetings']} meetings "
        f"({report['database']}, {report['embedding_backend']})"
    )
    for name in ("pilot", "vector_only", "recipe"):
        if name in report:
            r = report[name]
            console.print(
                f"  {name:<12} hit@200w {r['hit@200w']:.3f}  hit@1000w {r['hit@1000w']:.3f}  MRR {r['mrr']:.3f}"
            )
