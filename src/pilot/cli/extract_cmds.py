"""`pilot extract FILE --program P`: drafts from a transcript into the review queue, printed with
their findings. Runs inline with a progress bar; the same job the API runs in the background."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pilot.cli.common import console, emit_json, handle_errors, pilot_session
from pilot.domain.drafts import Draft, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.jobs import JobStatus
from pilot.pipeline.extract import EXTRACT_JOB, progress_unit, store_transcript
from pilot.pipeline.jobs import JobRunner
from pilot.pipeline.review import confidence_of, list_drafts

ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
MeetingOpt = Annotated[
    str | None, typer.Option("--meeting-date", help="Meeting date (YYYY-MM-DD) when the file does not say.")
]
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def print_drafts(drafts: list[Draft], *, creates: bool = False) -> None:
    """The drafts as a table, surest first; `creates` adds what approving each one records."""
    from pilot.pipeline.review import record_description

    columns = ["draft", "kind", "conf", "what", "owner", "due", "findings"] + (
        ["approve creates"] if creates else []
    )
    table = Table(*columns, title=f"{len(drafts)} drafts")
    for draft in drafts:
        payload: dict[str, Any] = draft.payload
        what = payload.get("task") or payload.get("what") or payload.get("title") or payload.get("question")
        owner = payload.get("owner_id") or payload.get("decided_by_id") or payload.get("owner_text") or "-"
        confidence = payload.get("confidence")
        findings = "\n".join(
            f"[{_SEVERITY_STYLE.get(f.severity.value, '')}]{f.severity.value}[/] {f.rule_id}"
            for f in draft.findings
        )
        row = [
            draft.id[:8],
            draft.kind.value,
            f"{confidence:.2f}" if isinstance(confidence, float) else "-",
            str(what),
            str(owner),
            str(payload.get("due") or "-"),
            findings,
        ]
        table.add_row(*row, *([record_description(draft)] if creates else []))
    console.print(table)


def print_llm_usage(result: dict[str, Any]) -> None:
    """What the LLM calls of a job cost, and the chunks it could not extract."""
    usage = result.get("usage") or {}
    if not usage.get("calls"):
        return
    cost = usage.get("cost_usd")
    money = f"${cost:.4f}" if cost is not None else "cost unknown (no price for the model: PILOT_LLM_PRICES)"
    console.print(
        f"LLM {result.get('model')}, prompt v{result.get('prompt_version')}: {usage['calls']} calls, "
        f"{usage.get('input_tokens', 0)} tokens in, {usage.get('output_tokens', 0)} out, {money}",
        highlight=False,
    )
    for failure in result.get("failures") or []:
        console.print(
            f"[yellow]not extracted[/] turns {failure['first_turn']}-{failure['last_turn']}: "
            f"{failure['failure']['kind']} ({failure['failure']['message'][:160]})",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    @app.command("extract")
    @handle_errors
    def extract_cmd(
        file: Annotated[
            Path, typer.Argument(help="Transcript or notes: .vtt, .srt, .sbv, .txt, .md, .json, .jsonl.")
        ],
        program: ProgramOpt,
        meeting_date: MeetingOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Extract action items, decisions, RAID entries and open questions into the review queue."""
        if not file.is_file():
            raise PilotError(ErrorCode.INVALID_INPUT, f"{file}: no such file")
        when = date.fromisoformat(meeting_date) if meeting_date else None
        with pilot_session() as ctx:
            stored = store_transcript(ctx, program, file.read_bytes(), file.name, meeting_date=when)
            runner = JobRunner(ctx, inline=True)
            unit = progress_unit(ctx.settings)
            with Progress(
                TextColumn("[bold]extracting[/] {task.description}"),
                BarColumn(),
                TextColumn("{task.fields[done]}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=as_json,
            ) as bar:
                task = bar.add_task(file.name, total=None, done=f"starting ({stored.turns} turns)")

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total, done=f"{done}/{total} {unit}")

                runner.observer = advance
                params = {
                    "document_id": stored.document_id,
                    "meeting_date": (when or stored.meeting_date or ctx.now().date()).isoformat(),
                    "filename": file.name,
                    "progress_unit": unit,
                }
                job = runner.submit(EXTRACT_JOB, program, params)
            if job.status == JobStatus.FAILED:
                error = job.error or {}
                raise PilotError(
                    ErrorCode(error.get("code", ErrorCode.INTERNAL.value)),
                    f"{error.get('message', 'extraction failed')} (transcript stored as document "
                    f"{stored.document_id}; retry with `pilot job retry {job.id} -p {program}`)",
                )
            drafts = list_drafts(ctx, program, status=DraftStatus.PENDING, job_id=job.id)
        if as_json:
            emit_json(
                {
                    "document": stored.model_dump(mode="json"),
                    "job": job.model_dump(mode="json"),
                    "drafts": [d.model_dump(mode="json") for d in drafts],
                }
            )
            return
        for warning in stored.warnings:
            console.print(f"[yellow]warning[/] {warning}", highlight=False)
        drafts.sort(key=lambda d: -confidence_of(d))
        print_drafts(drafts)
        result = job.result or {}
        console.print(
            f"{len(drafts)} drafts from {stored.title or file.name} ({result.get('engine')} engine) are in the "
            f"review queue: `pilot review list -p {program}`.",
            highlight=False,
        )
        print_llm_usage(result)

    @app.command("job")
    @handle_errors
    def job_cmd(
        action: Annotated[str, typer.Argument(help="show or retry")],
        job_id: Annotated[str, typer.Argument(help="Job id.")],
        program: ProgramOpt,
        as_json: JsonOpt = False,
    ) -> None:
        """Show a background job, or retry a failed one from its stored input."""
        with pilot_session() as ctx:
            runner = JobRunner(ctx, inline=True)
            if action == "retry":
                job = runner.retry(job_id, program)
            elif action == "show":
                job = runner.get(job_id, program)
            else:
                raise PilotError(ErrorCode.INVALID_INPUT, f"unknown job action {action!r}: use show or retry")
        if as_json:
            emit_json(job)
        else:
            console.print(f"job {job.id} {job.kind}: {job.status.value} ({job.progress}/{job.total})")
            if job.error:
                console.print(f"[red]{job.error.get('code')}[/]: {job.error.get('message')}", highlight=False)
