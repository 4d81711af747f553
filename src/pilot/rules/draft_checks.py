"""The draft checks that need only program data and what was said: owners, deciders, due dates,
milestones and record references, RAID completeness, duplicates of open items, evidence quotes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pilot.domain.drafts import (
    ActionItemDraft,
    DecisionDraft,
    DraftContext,
    DraftKind,
    OwnerResolution,
    QuestionDraft,
    RaidDraft,
)
from pilot.domain.findings import Finding, Severity
from pilot.domain.program import MilestoneStatus, RaidKind
from pilot.rules.checks import OpenItems, ProgramIndex, _tokens, draft_check
from pilot.rules.quotes import quote_in_source

# --- owners -------------------------------------------------------------------------------------

_OWNED = (DraftKind.ACTION_ITEM, DraftKind.RAID)


@draft_check("draft.owner", *_OWNED, description="owner unknown, ambiguous, missing or not in the program")
def check_owner(
    draft: ActionItemDraft | RaidDraft, index: ProgramIndex, _c: DraftContext, _n: datetime
) -> Iterable[Finding]:
    if draft.owner_id is not None:
        if draft.owner_id not in index.people:
            yield Finding(
                rule_id="draft.owner_not_in_program",
                severity=Severity.ERROR,
                message=f"Owner '{draft.owner_id}' is not a person in this program.",
                subjects=(f"person:{draft.owner_id}",),
                values={"owner_id": draft.owner_id},
            )
        return
    said = draft.owner_text
    match = index.people.resolve(said)
    candidates = list(draft.owner_candidates) or list(match.candidates)
    if draft.owner_resolution == OwnerResolution.AMBIGUOUS or match.resolution == OwnerResolution.AMBIGUOUS:
        yield Finding(
            rule_id="draft.owner_ambiguous",
            severity=Severity.ERROR,
            message=f"'{said}' could be any of {', '.join(candidates)}: choose the owner.",
            subjects=tuple(f"person:{c}" for c in candidates),
            values={"owner_text": said, "candidates": candidates},
            suggested_action="Choose the owner from the candidates.",
        )
    elif said and match.resolution != OwnerResolution.RESOLVED:
        yield Finding(
            rule_id="draft.owner_unknown",
            severity=Severity.WARNING,
            message=f"'{said}' is not anyone in the program's directory.",
            values={"owner_text": said},
            suggested_action="Pick an owner from the directory or add the person to the program.",
        )
    elif not said and isinstance(draft, ActionItemDraft):
        yield Finding(
            rule_id="draft.owner_missing",
            severity=Severity.WARNING,
            message="Nobody was named as the owner of this action item.",
            suggested_action="Choose an owner before approving.",
        )


@draft_check("draft.decider", DraftKind.DECISION, description="decider not in the program")
def check_decider(
    draft: DecisionDraft, index: ProgramIndex, _c: DraftContext, _n: datetime
) -> Iterable[Finding]:
    if draft.decided_by_id is not None and draft.decided_by_id not in index.people:
        yield Finding(
            rule_id="draft.unknown_person",
            severity=Severity.ERROR,
            message=f"Decider '{draft.decided_by_id}' is not a person in this program.",
            values={"person_id": draft.decided_by_id},
        )
    elif draft.decided_by_id is None and draft.decided_by_text:
        match = index.people.resolve(draft.decided_by_text)
        if match.resolution in (OwnerResolution.UNKNOWN, OwnerResolution.AMBIGUOUS):
            yield Finding(
                rule_id="draft.unknown_person",
                severity=Severity.WARNING,
                message=f"Decider '{draft.decided_by_text}' is {match.resolution.value} in the directory.",
                values={"person_text": draft.decided_by_text, "candidates": list(match.candidates)},
            )


# --- due dates and milestones -------------------------------------------------------------------


@draft_check(
    "draft.due", DraftKind.ACTION_ITEM, description="due date before the meeting or after the milestone"
)
def check_due(
    draft: ActionItemDraft, index: ProgramIndex, context: DraftContext, _n: datetime
) -> Iterable[Finding]:
    if draft.due is None:
        return
    if context.meeting_date is not None and draft.due < context.meeting_date:
        yield Finding(
            rule_id="draft.due_before_meeting",
            severity=Severity.ERROR,
            message=f"Due {draft.due} is before the meeting on {context.meeting_date}.",
            values={
                "due": draft.due.isoformat(),
                "meeting_date": context.meeting_date.isoformat(),
                "due_text": draft.due_text,
            },
        )
    milestone = index.milestones.get(draft.milestone or "")
    if milestone is not None and milestone.status != MilestoneStatus.CANCELLED:
        limit = milestone.current_forecast
        if draft.due > limit:
            yield Finding(
                rule_id="draft.due_after_milestone",
                severity=Severity.WARNING,
                message=f"Due {draft.due} is after {milestone.id} {milestone.name} ({limit}) it belongs to.",
                subjects=(f"milestone:{milestone.id}",),
                values={
                    "due": draft.due.isoformat(),
                    "milestone": milestone.id,
                    "milestone_date": limit.isoformat(),
                },
            )


_WITH_MILESTONE = (DraftKind.ACTION_ITEM, DraftKind.RAID)


@draft_check("draft.milestone", *_WITH_MILESTONE, description="linked milestone does not exist")
def check_milestone(
    draft: ActionItemDraft | RaidDraft, index: ProgramIndex, _c: DraftContext, _n: datetime
) -> Iterable[Finding]:
    if draft.milestone and draft.milestone not in index.milestones:
        yield Finding(
            rule_id="draft.unknown_milestone",
            severity=Severity.ERROR,
            message=f"Milestone '{draft.milestone}' is not in this program.",
            values={"milestone": draft.milestone},
        )


def _text_of(draft: ActionItemDraft | DecisionDraft | RaidDraft | QuestionDraft) -> str:
    if isinstance(draft, ActionItemDraft):
        return draft.task
    if isinstance(draft, DecisionDraft):
        return f"{draft.what} {draft.rationale or ''}"
    if isinstance(draft, RaidDraft):
        return f"{draft.title} {draft.description} {draft.mitigation or ''}"
    return draft.question


_ALL = (DraftKind.ACTION_ITEM, DraftKind.DECISION, DraftKind.RAID, DraftKind.QUESTION)


@draft_check(
    "draft.references", *_ALL, description="text names a milestone, team or record that does not exist"
)
def check_references(
    draft: ActionItemDraft | DecisionDraft | RaidDraft | QuestionDraft,
    index: ProgramIndex,
    _c: DraftContext,
    _n: datetime,
) -> Iterable[Finding]:
    for token in index.unknown_references(_text_of(draft)):
        yield Finding(
            rule_id="draft.unknown_reference",
            severity=Severity.WARNING,
            message=f"'{token}' looks like a record of this program but there is no such record.",
            values={"reference": token},
        )


# --- RAID completeness --------------------------------------------------------------------------


@draft_check("draft.raid_complete", DraftKind.RAID, description="RAID entry without owner or mitigation")
def check_raid_complete(
    draft: RaidDraft, _i: ProgramIndex, _c: DraftContext, _n: datetime
) -> Iterable[Finding]:
    if draft.owner_id is None and not draft.owner_text:
        yield Finding(
            rule_id="draft.raid_no_owner",
            severity=Severity.WARNING,
            message=f"{draft.kind.name.title()} '{draft.title}' has no owner.",
            suggested_action="Name an owner before approving.",
        )
    if draft.kind in (RaidKind.RISK, RaidKind.ISSUE) and not (draft.mitigation or "").strip():
        yield Finding(
            rule_id="draft.raid_no_mitigation",
            severity=Severity.WARNING,
            message=f"{draft.kind.name.title()} '{draft.title}' has no mitigation.",
            suggested_action="Add the mitigation or the next step.",
        )


# --- duplicates ---------------------------------------------------------------------------------

DUPLICATE_SIMILARITY = 0.75


@draft_check("draft.duplicate", *_ALL, description="duplicate of an open item")
def check_duplicate(
    draft: ActionItemDraft | DecisionDraft | RaidDraft | QuestionDraft,
    index: ProgramIndex,
    _c: DraftContext,
    _n: datetime,
) -> Iterable[Finding]:
    if isinstance(draft, ActionItemDraft):
        pool = index.open_actions
        tokens = _tokens(draft.task)
    elif isinstance(draft, RaidDraft):
        pool = index.open_raid.get(draft.kind, OpenItems([]))
        tokens = _tokens(draft.title)
    elif isinstance(draft, DecisionDraft):
        pool = index.pending_decisions
        tokens = _tokens(draft.what)
    else:
        pool = index.pending_decisions
        tokens = _tokens(draft.question)
    if len(tokens) < 2:
        return
    hit = pool.closest(tokens, DUPLICATE_SIMILARITY)
    if hit is None:
        return
    item, score = hit
    # A decision that matches a pending question is news (it may close it), not a duplicate.
    resolves = isinstance(draft, DecisionDraft)
    yield Finding(
        rule_id="draft.resolves_pending_decision" if resolves else "draft.duplicate",
        severity=Severity.INFO if resolves else Severity.WARNING,
        message=(
            f"This may decide {item.ref.split(':', 1)[1]} '{item.title}'."
            if resolves
            else f"Looks like the open {item.ref.split(':', 1)[1]} '{item.title}'."
        ),
        subjects=(item.ref,),
        values={"match": item.ref, "similarity": round(score, 2)},
    )


# --- evidence -----------------------------------------------------------------------------------


@draft_check("draft.evidence", *_ALL, description="evidence quote not in the source")
def check_evidence(
    draft: ActionItemDraft | DecisionDraft | RaidDraft | QuestionDraft,
    _i: ProgramIndex,
    context: DraftContext,
    _n: datetime,
) -> Iterable[Finding]:
    if context.source_text is None:
        return
    evidence = draft.evidence
    if evidence is None or not evidence.quote.strip():
        yield Finding(
            rule_id="draft.evidence_missing",
            severity=Severity.WARNING,
            message="The draft quotes no evidence from the source.",
        )
        return
    if not quote_in_source(evidence.quote, context.source_text):
        yield Finding(
            rule_id="draft.evidence_not_in_source",
            severity=Severity.ERROR,
            message="The evidence quote is not in the source transcript.",
            values={"quote": evidence.quote[:300]},
        )


# --- open questions -----------------------------------------------------------------------------


@draft_check("draft.open_question", DraftKind.QUESTION, description="an open question, not a decision")
def check_open_question(
    draft: QuestionDraft, _i: ProgramIndex, _c: DraftContext, _n: datetime
) -> Iterable[Finding]:
    if draft.outcome or draft.pending_decision:
        return
    yield Finding(
        rule_id="draft.open_question",
        severity=Severity.WARNING,
        message="An open question, not a decision: approving it records no decision.",
        suggested_action="Edit in the outcome to record a decision, or mark it a pending decision.",
    )
