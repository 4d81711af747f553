"""`pilot review list|show|approve|reject|owner|edit|bulk-approve`: the review queue from the shell.

Draft ids can be given by a unique prefix (the list shows the first eight characters)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from pilot.cli.common import console, emit_json, handle_errors, pilot_session
from pilot.cli.extract_cmds import print_drafts
from pilot.domain.drafts import Draft, DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline import review
from pilot.pipeline.context import Pilot


def approved_record_text(draft: Draft) -> str:
    ref = draft.record_ref or ""
    if ref.startswith(("question:", "artifact:", "status:")) or not ref:
        return review.record_description(draft)
    return f"created {ref.replace(':', ' ', 1)} ({review.record_description(draft)})"


ProgramOpt = Annotated[str, typer.Option("--program", "-p", help="Program id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
DraftArg = Annotated[str, typer.Argument(help="Draft id or a unique prefix of it.")]


def resolve_draft_id(ctx: Pilot, program: str, prefix: str) -> str:
    if len(prefix) >= 36:
        return prefix
    matches = [d.id for d in review.list_drafts(ctx, program, status=None) if d.id.startswith(prefix)]
    if not matches:
        raise PilotError(ErrorCode.NOT_FOUND, f"no draft {prefix!r} in program {program}")
    if len(matches) > 1:
        raise PilotError(ErrorCode.INVALID_INPUT, f"draft prefix {prefix!r} matches {len(matches)} drafts")
    return matches[0]


def register(app: typer.Typer) -> None:
    review_app = typer.Typer(
        help="The review queue: nothing drafted becomes program data until approved.", no_args_is_help=True
    )

    @review_app.command("list")
    @handle_errors
    def list_cmd(
        program: ProgramOpt,
        status: Annotated[
            DraftStatus | None, typer.Option(help="pending (default), approved, rejected.")
        ] = None,
        kind: Annotated[DraftKind | None, typer.Option(help="Only drafts of this kind.")] = None,
        owner: Annotated[
            str | None, typer.Option(help="Only drafts owned by this person id ('none': no owner).")
        ] = None,
        finding: Annotated[
            str | None,
            typer.Option(help="Only drafts with this finding (rule id or prefix; 'any' or 'none')."),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List drafts by meeting (source document and date), surest first, with their findings and
        what approving each one creates."""
        filters = review.QueueFilter(kind=kind, owner=owner, finding=finding)
        with pilot_session() as ctx:
            groups = review.queue_by_meeting(
                ctx, program, status=status or DraftStatus.PENDING, filters=filters
            )
        if as_json:
            emit_json([g.model_dump(mode="json") for g in groups])
            return
        if not groups:
            console.print("No drafts match.")
        for group in groups:
            when = group.meeting_date.isoformat() if group.meeting_date else "no date"
            source = f" · document {group.document_id}" if group.document_id is not None else ""
            console.print(f"[bold]{group.title}[/] ({when}{source})", highlight=False)
            print_drafts(group.drafts, creates=True)

    @review_app.command("show")
    @handle_errors
    def show_cmd(draft: DraftArg, program: ProgramOpt) -> None:
        """Show one draft in full (JSON)."""
        with pilot_session() as ctx:
            emit_json(review.get_draft(ctx, program, resolve_draft_id(ctx, program, draft)))

    @review_app.command("approve")
    @handle_errors
    def approve_cmd(
        draft: DraftArg,
        program: ProgramOpt,
        override_reason: Annotated[
            str | None, typer.Option("--override-reason", help="Required when the draft has error findings.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Approve a draft: it becomes a program record linked to the draft (audited)."""
        with pilot_session() as ctx:
            done = review.approve(
                ctx, program, resolve_draft_id(ctx, program, draft), override_reason=override_reason
            )
        if as_json:
            emit_json(done)
            return
        console.print(
            f"approved {done.id} ({done.kind.value}): {approved_record_text(done)}", highlight=False
        )

    @review_app.command("reject")
    @handle_errors
    def reject_cmd(
        draft: DraftArg,
        program: ProgramOpt,
        reason: Annotated[str, typer.Option("--reason", "-r", help="Why (recorded).")],
    ) -> None:
        """Reject a draft with a reason (audited)."""
        with pilot_session() as ctx:
            done = review.reject(ctx, program, resolve_draft_id(ctx, program, draft), reason=reason)
        console.print(f"rejected {done.id}")

    @review_app.command("owner")
    @handle_errors
    def owner_cmd(
        draft: DraftArg,
        program: ProgramOpt,
        person: Annotated[str, typer.Option("--person", help="Person id from the program directory.")],
    ) -> None:
        """Choose the owner of a draft (settles an ambiguous or unknown owner)."""
        with pilot_session() as ctx:
            done = review.choose_owner(ctx, program, resolve_draft_id(ctx, program, draft), person)
        console.print(f"owner of {done.id} is {person}; {len(done.findings)} findings remain")

    @review_app.command("edit")
    @handle_errors
    def edit_cmd(
        draft: DraftArg,
        program: ProgramOpt,
        set_: Annotated[
            list[str], typer.Option("--set", help="field=value (value may be JSON); repeatable.")
        ],
    ) -> None:
        """Edit fields of a draft; the checks run again on the result."""
        changes: dict[str, Any] = {}
        for item in set_:
            field, sep, raw = item.partition("=")
            if not sep or not field:
                raise PilotError(ErrorCode.INVALID_INPUT, f"--set {item!r}: expected field=value")
            try:
                changes[field] = json.loads(raw)
            except json.JSONDecodeError:
                changes[field] = raw
        with pilot_session() as ctx:
            draft_id = resolve_draft_id(ctx, program, draft)
            current = review.get_draft(ctx, program, draft_id)
            done = review.edit(ctx, program, draft_id, {**current.payload, **changes})
        console.print(f"edited {done.id}; {len(done.findings)} findings")

    @review_app.command("bulk-approve")
    @handle_errors
    def bulk_cmd(program: ProgramOpt, as_json: JsonOpt = False) -> None:
        """Approve every pending draft that has no findings; the rest stay for review."""
        with pilot_session() as ctx:
            result = review.bulk_approve(ctx, program)
        if as_json:
            emit_json(result)
        else:
            console.print(f"approved {len(result.approved)}; left {len(result.skipped)} with findings")

    app.add_typer(review_app, name="review")
