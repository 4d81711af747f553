"""`pilot ingest PATH...` and `pilot ingest --source jira|github|pagerduty`; `pilot search`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pilot.cli.common import EXIT_CODES, console, emit_json, handle_errors, pilot_session
from pilot.domain.errors import Actor, ErrorCode, PilotError
from pilot.pipeline.ingest import IngestReport, index_program, indexing_progress, ingest_paths, sync_source
from pilot.pipeline.programs import programs
from pilot.pipeline.search import search_program

ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def print_report(report: IngestReport) -> None:
    console.print(
        f"{report.source}: {report.created} new, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.restored} restored, {report.deleted} deleted; indexed {report.indexed_documents} documents "
        f"({report.indexed_chunks} chunks)"
        + (f", {report.index_failures} failed to index" if report.index_failures else ""),
        highlight=False,
    )
    if report.census_skipped:
        console.print(f"[yellow]census skipped[/] {report.census_skipped}", highlight=False)
    for doc in report.documents:
        for warning in doc.warnings:
            console.print(f"[yellow]warning[/] {doc.title}: {warning}", highlight=False)
    for item in report.failures:
        console.print(f"[red]failed[/] {item.external_id or item.source}: {item.error}", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    @handle_errors
    def ingest_cmd(
        program: ProgramOpt,
        paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to ingest.")] = None,
        source: Annotated[
            str | None, typer.Option("--source", help="Pull from jira, github or pagerduty.")
        ] = None,
        meeting_date: Annotated[
            str | None, typer.Option(help="Meeting date (YYYY-MM-DD) for files without one.")
        ] = None,
        no_census: Annotated[
            bool, typer.Option("--no-census", help="Skip the deletion census of --source.")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Store documents (verbatim, before any processing) and index them for search."""
        if bool(paths) == bool(source):
            raise PilotError(ErrorCode.INVALID_INPUT, "give files or folders, or --source, not both")
        try:
            when = date.fromisoformat(meeting_date) if meeting_date else None
        except ValueError:
            raise PilotError(
                ErrorCode.INVALID_INPUT, f"--meeting-date {meeting_date!r} is not YYYY-MM-DD"
            ) from None
        with (
            pilot_session() as ctx,
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=as_json,
            ) as bar,
        ):
            task = bar.add_task("starting", total=None)

            def progress(what: str, done: int, total: int) -> None:
                bar.update(task, description=what, completed=done, total=total or None)

            if source:
                report = sync_source(ctx, program, source, census=not no_census, progress=progress)
            else:
                report = ingest_paths(ctx, program, paths or [], meeting_date=when, progress=progress)
        emit_json(report) if as_json else print_report(report)
        if report.failures and not report.documents:
            raise typer.Exit(EXIT_CODES[Actor.USER])  # nothing could be read: a script should notice

    @app.command("index")
    @handle_errors
    def index_cmd(
        program: Annotated[
            list[str] | None, typer.Option("--program", "-p", help="Program id (default: every program).")
        ] = None,
        status: Annotated[
            bool, typer.Option("--status", help="Only show how many documents are in each index state.")
        ] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Index stored documents that are not indexed yet (after an upgrade, or an interrupted run).
        Documents are committed one by one; `--status` from another shell shows the progress."""
        with pilot_session() as ctx:
            targets = program or [info.id for info in programs(ctx)]
            if status:
                counts = {target: indexing_progress(ctx, target) for target in targets}
                if as_json:
                    emit_json(counts)
                for target, states in counts.items():
                    if not as_json:
                        console.print(
                            f"{target}: " + ", ".join(f"{n} {state}" for state, n in states.items()),
                            highlight=False,
                        )
                return
            reports = []
            for target in targets:
                reports.append(index_program(ctx, target))
                if not as_json:
                    print_report(reports[-1])
        if as_json:
            emit_json(reports)

    @app.command("search")
    @handle_errors
    def search_cmd(
        query: Annotated[str, typer.Argument(help="What to look for.")],
        program: ProgramOpt,
        k: Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="How many results.")] = 10,
        source: Annotated[list[str] | None, typer.Option("--source", help="Only these sources.")] = None,
        kind: Annotated[
            list[str] | None, typer.Option("--kind", help="transcript, notes, ticket, incident.")
        ] = None,
        since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
        until: Annotated[str | None, typer.Option(help="Up to this date (YYYY-MM-DD).")] = None,
        retriever: Annotated[str, typer.Option(help="Retriever configuration in retrievers/.")] = "default",
        as_json: JsonOpt = False,
    ) -> None:
        """Hybrid search over one program's documents."""
        with pilot_session() as ctx:
            hits = search_program(
                ctx,
                program,
                query,
                k=k,
                sources=source,
                kinds=kind,
                since=datetime.fromisoformat(since) if since else None,
                until=datetime.fromisoformat(until) if until else None,
                retriever=retriever,
            )
        if as_json:
            emit_json(hits)
            return
        table = Table("#", "score", "document", "where", "text", title=f"{len(hits)} results")
        for rank, hit in enumerate(hits, start=1):
            meta = hit.metadata
            where = (
                f"turns {meta['turn_first']}-{meta['turn_last']}"
                if "turn_first" in meta
                else str(meta.get("url") or "")
            )
            table.add_row(
                str(rank),
                f"{hit.score:.4f}",
                str(meta.get("title") or hit.document_key),
                where,
                hit.text[:400],
            )
        console.print(table)
