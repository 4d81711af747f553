"""Extraction as a use case: run an engine, then ground every draft deterministically, then check it.

`extract(document, engine=..., program=..., meeting_date=..., timezone=...)` is the one entry point
the CLI, the API job and the evals call. It writes nothing: it returns drafts with their findings,
provenance, token usage and failures, and the caller decides what goes into the review queue.

Grounding, after the model and never by it:
- owners: "I"/"me" -> the speaker, "you" -> the person addressed (a name in the same turn, else the
  previous speaker), names -> the program's people (via `pilot.rules.people`); no match is
  "unknown", several are "ambiguous" with the candidates kept (narrowed by who answers next);
- due dates: `pilot.text.dates.normalize_due` against the meeting date and time zone, milestones
  by name;
- evidence: the quote is looked up in the transcript (fuzzy) and its turn, speaker and time recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from pilot.chains.engine import ChainRun, ChunkFailure, ExtractionContext, Extractor, Progress
from pilot.chains.extraction import document_turns
from pilot.chains.llm import TokenUsage
from pilot.chains.schema import ActionCandidate, DecisionCandidate, QuestionCandidate, RaidCandidate
from pilot.clock import Clock, system_clock
from pilot.domain.documents import Document, Turn
from pilot.domain.drafts import (
    ActionItemDraft,
    DecisionDraft,
    DraftContext,
    DraftKind,
    Evidence,
    OwnerResolution,
    Provenance,
    QuestionDraft,
    RaidDraft,
)
from pilot.domain.findings import Finding
from pilot.domain.program import Person, ProgramData, RaidKind
from pilot.pipeline.draft_confidence import confidences, decision_as_question, grounded_confidence
from pilot.rules.checks import ProgramIndex, run_checks
from pilot.rules.people import PeopleDirectory
from pilot.text.dates import meeting_local_date, normalize_due

DraftPayload = ActionItemDraft | DecisionDraft | RaidDraft | QuestionDraft
# A draft check: the rules layer's checks for one draft, given the program and what was said.
DraftChecker = Callable[[DraftKind, DraftPayload, ProgramData | None, DraftContext], list[Finding]]

FIRST_PERSON = {"i", "me", "myself", "i'll", "i will"}
SECOND_PERSON = {"you", "yourself", "you'll", "you will"}
GROUP = {"we", "us", "the team", "team", "everyone", "everybody", "all", "the group", "group", "they"}
EVIDENCE_MATCH = 0.75
_RAID_KIND = {
    "risk": RaidKind.RISK,
    "assumption": RaidKind.ASSUMPTION,
    "issue": RaidKind.ISSUE,
    "dependency": RaidKind.DEPENDENCY,
}


class ExtractedDraft(BaseModel):
    """One grounded draft and what the checks found about it."""

    model_config = ConfigDict(extra="forbid")

    kind: DraftKind
    payload: DraftPayload
    findings: list[Finding] = Field(default_factory=list)
    text: str  # one line as pilot shows it: "Wei Zhang will pair with Nora ... (due 2026-11-17)"


class ExtractionResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_key: str
    content_hash: str
    meeting_date: date | None
    timezone: str
    provenance: Provenance
    drafts: list[ExtractedDraft] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    chunks: int = 0
    cache_hits: int = 0
    failures: list[ChunkFailure] = Field(default_factory=list)

    def of_kind(self, kind: DraftKind) -> list[ExtractedDraft]:
        return [d for d in self.drafts if d.kind == kind]

    @property
    def complete(self) -> bool:
        return not self.failures


class OwnerOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: OwnerResolution
    owner_id: str | None = None
    candidates: list[str] = Field(default_factory=list)
    display: str | None = None  # the name to show: the person's name, or the speaker/role when no directory


class PeopleLookup(Protocol):
    """Names as said -> the program's people. Backed by `pilot.rules.people` when available."""

    def match(self, text: str | None) -> list[Person]: ...

    def mentioned_in(self, text: str) -> list[str]: ...


# The rules layer's directory is the one place names are matched; kept under this name for callers.
ProgramPeople = PeopleDirectory


def people_lookup(program: ProgramData | None) -> PeopleLookup:
    return ProgramPeople(program.people if program else [])


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def addressed_in_turn(turns: Sequence[Turn], position: int, lookup: PeopleLookup) -> str | None:
    """Who "you" is in turn `position`: a person named in the turn (not the speaker), else the previous speaker."""
    turn = turns[position]
    speaker_ids = {p.id for p in lookup.match(turn.speaker)} if turn.speaker else set()
    named = lookup.mentioned_in(turn.text)
    others = [
        name for name in named if not ({p.id for p in lookup.match(name)} <= speaker_ids and speaker_ids)
    ]
    if others:
        return others[0]
    for earlier in reversed(turns[:position]):
        if earlier.speaker and earlier.speaker != turn.speaker:
            return earlier.speaker
    return None


def resolve_owner(
    owner_text: str | None,
    *,
    speaker: str | None,
    addressed: str | None,
    lookup: PeopleLookup,
    answered_by: str | None = None,
) -> OwnerOutcome:
    """Owner as said -> a person of the program, "ambiguous" with candidates, or "unknown".

    `answered_by` is the speaker of the next turn: "Alex, can you ...?" answered by Alex Rivera
    resolves to her even though the program has two Alexes.
    """
    if owner_text is None or not owner_text.strip():
        return OwnerOutcome(resolution=OwnerResolution.MISSING)
    said = _norm(owner_text)
    target: str | None = owner_text
    if said in FIRST_PERSON:
        target = speaker
    elif said in SECOND_PERSON:
        target = addressed
    elif said in GROUP:
        return OwnerOutcome(resolution=OwnerResolution.UNKNOWN, display="The group")
    if target is None:
        return OwnerOutcome(resolution=OwnerResolution.UNKNOWN)
    matches = lookup.match(target)
    if len(matches) == 1:
        return OwnerOutcome(
            resolution=OwnerResolution.RESOLVED, owner_id=matches[0].id, display=matches[0].name
        )
    if len(matches) > 1:
        if answered_by:
            answering = {p.id for p in lookup.match(answered_by)}
            narrowed = [p for p in matches if p.id in answering]
            if len(narrowed) == 1:
                return OwnerOutcome(
                    resolution=OwnerResolution.RESOLVED, owner_id=narrowed[0].id, display=narrowed[0].name
                )
        return OwnerOutcome(
            resolution=OwnerResolution.AMBIGUOUS, candidates=sorted(p.id for p in matches), display=target
        )
    return OwnerOutcome(resolution=OwnerResolution.UNKNOWN, display=target)


def locate_evidence(quote: str, turns: Sequence[Turn], hint: int | None) -> Evidence:
    """Find the quote in the transcript: the turn the engine named first, then its neighbours, then all."""
    quote_norm = _norm(quote)
    by_index = {turn.index: position for position, turn in enumerate(turns)}
    order: list[int] = []
    if hint is not None and hint in by_index:
        centre = by_index[hint]
        order = [p for p in (centre, centre - 1, centre + 1, centre - 2, centre + 2) if 0 <= p < len(turns)]
    order += [p for p in range(len(turns)) if p not in order]
    best_score, best_position = 0.0, None
    for position in order:
        score = _containment(quote_norm, _norm(turns[position].text))
        if score > best_score + 1e-9:
            best_score, best_position = score, position
        if score >= 0.98:
            break
    if best_position is None or best_score < EVIDENCE_MATCH:
        return Evidence(quote=quote, turn_index=hint, verified=False)
    turn = turns[best_position]
    return Evidence(
        quote=quote, turn_index=turn.index, speaker=turn.speaker, timestamp=turn.start, verified=True
    )


def _containment(quote: str, text: str) -> float:
    """How much of the quote appears in the text: word coverage, tempered by the longest common run."""
    if not quote or not text:
        return 0.0
    if quote in text:
        return 1.0
    quote_words, text_words = quote.split(), set(text.split())
    coverage = sum(1 for w in quote_words if w in text_words) / len(quote_words)
    if coverage < EVIDENCE_MATCH:
        return coverage
    matcher = SequenceMatcher(None, quote, text, autojunk=False)
    blocks = sum(block.size for block in matcher.get_matching_blocks())
    return min(coverage, blocks / len(quote))


def display_text(payload: DraftPayload, owner_display: str | None = None) -> str:
    """One line per draft, as the review queue and `--predictions-out` show it."""
    if isinstance(payload, ActionItemDraft):
        task = payload.task
        if owner_display and task[:1].isupper() and not task[1:2].isupper():
            task = task[0].lower() + task[1:]
        text = f"{owner_display} will {task}" if owner_display else task
        text = text.rstrip(".") + "."
        if payload.due:
            text += f" (due {payload.due.isoformat()})"
        return text[0].upper() + text[1:]
    if isinstance(payload, DecisionDraft):
        return payload.what
    if isinstance(payload, RaidDraft):
        return payload.description or payload.title
    return payload.question


class _Grounder:
    def __init__(
        self,
        turns: Sequence[Turn],
        program: ProgramData | None,
        meeting: date | datetime | None,
        timezone: str,
        lookup: PeopleLookup,
    ) -> None:
        self.turns = turns
        self.positions = {turn.index: position for position, turn in enumerate(turns)}
        self.program = program
        self.meeting = meeting
        self.timezone = timezone
        self.lookup = lookup

    def _speaker_context(self, evidence: Evidence) -> tuple[str | None, str | None, str | None]:
        position = self.positions.get(evidence.turn_index) if evidence.turn_index is not None else None
        if position is None:
            return None, None, None
        speaker = self.turns[position].speaker
        addressed = addressed_in_turn(self.turns, position, self.lookup)
        following = next(
            (t.speaker for t in self.turns[position + 1 :] if t.speaker and t.speaker != speaker), None
        )
        return speaker, addressed, following

    def owner(self, owner_text: str | None, evidence: Evidence) -> OwnerOutcome:
        speaker, addressed, following = self._speaker_context(evidence)
        outcome = resolve_owner(
            owner_text, speaker=speaker, addressed=addressed, lookup=self.lookup, answered_by=following
        )
        if outcome.display is None and owner_text and _norm(owner_text) in FIRST_PERSON | SECOND_PERSON:
            outcome.display = speaker if _norm(owner_text) in FIRST_PERSON else addressed
        return outcome

    @staticmethod
    def said_as(owner_text: str | None, outcome: OwnerOutcome) -> str | None:
        """The owner as the draft records it: "I"/"you" become the speaker or the person addressed
        (the quote keeps the words as said), so the queue and the checks name a person, not a pronoun."""
        if owner_text and _norm(owner_text) in FIRST_PERSON | SECOND_PERSON and outcome.display:
            return outcome.display
        return owner_text

    def action(self, c: ActionCandidate) -> tuple[ActionItemDraft, str | None]:
        evidence = locate_evidence(c.evidence_quote, self.turns, c.turn_index)
        owner = self.owner(c.owner, evidence)
        due = None
        if c.due and self.meeting is not None:
            due = normalize_due(
                c.due,
                meeting=self.meeting,
                timezone=self.timezone,
                milestones=self.program.milestones if self.program else (),
            )
        draft = ActionItemDraft(
            task=c.task.strip() or c.evidence_quote,
            owner_text=self.said_as(c.owner, owner),
            owner_id=owner.owner_id,
            owner_resolution=owner.resolution,
            owner_candidates=owner.candidates,
            due_text=c.due,
            due=due.due if due else None,
            milestone=due.milestone_id if due else None,
            evidence=evidence,
        )
        return draft, owner.display

    def decision(self, c: DecisionCandidate) -> DecisionDraft:
        evidence = locate_evidence(c.evidence_quote, self.turns, c.turn_index)
        owner = self.owner(c.decided_by, evidence)
        return DecisionDraft(
            what=c.what.strip() or c.evidence_quote,
            decided_by_text=self.said_as(c.decided_by, owner),
            decided_by_id=owner.owner_id,
            rationale=c.rationale,
            evidence=evidence,
        )

    def raid(self, c: RaidCandidate) -> RaidDraft:
        evidence = locate_evidence(c.evidence_quote, self.turns, c.turn_index)
        owner = self.owner(c.owner, evidence)
        milestone = None
        if self.program:
            named = [
                m.id
                for m in self.program.milestones
                if re.search(rf"\b{re.escape(m.id)}\b", f"{c.title} {c.description}")
            ]
            milestone = named[0] if len(named) == 1 else None
        return RaidDraft(
            kind=_RAID_KIND[c.kind],
            title=c.title.strip() or c.evidence_quote[:80],
            description=c.description,
            owner_text=self.said_as(c.owner, owner),
            owner_id=owner.owner_id,
            owner_resolution=owner.resolution,
            owner_candidates=owner.candidates,
            probability=c.probability if c.probability and 1 <= c.probability <= 5 else None,
            impact=c.impact if c.impact and 1 <= c.impact <= 5 else None,
            milestone=milestone,
            evidence=evidence,
        )

    def question(self, c: QuestionCandidate) -> QuestionDraft:
        return QuestionDraft(
            question=c.question.strip() or c.evidence_quote,
            raised_by_text=c.raised_by,
            evidence=locate_evidence(c.evidence_quote, self.turns, c.turn_index),
        )


def ground(
    run: ChainRun,
    turns: Sequence[Turn],
    *,
    program: ProgramData | None,
    meeting: date | datetime | None,
    timezone: str,
    lookup: PeopleLookup,
) -> list[tuple[DraftKind, DraftPayload, str]]:
    """Candidates -> grounded drafts with their display lines and confidence, surest first within
    each kind. A decision drafted from a question becomes an open question, never a decision."""
    grounder = _Grounder(turns, program, meeting, timezone, lookup)
    out: list[tuple[DraftKind, DraftPayload, str]] = []
    actions = run.output.action_items
    for candidate, conf in zip(actions, confidences(run, "action_items", len(actions)), strict=True):
        action, owner_display = grounder.action(candidate)
        action.confidence = grounded_confidence(conf, action)
        out.append((DraftKind.ACTION_ITEM, action, display_text(action, owner_display)))
    questions: list[tuple[QuestionCandidate, float | None]] = []
    decisions = run.output.decisions
    for decision_candidate, conf in zip(
        decisions, confidences(run, "decisions", len(decisions)), strict=True
    ):
        as_question = decision_as_question(decision_candidate)
        if as_question is not None:
            questions.append((as_question, min(conf, 0.5) if conf is not None else 0.5))
            continue
        decision = grounder.decision(decision_candidate)
        decision.confidence = grounded_confidence(conf, decision)
        out.append((DraftKind.DECISION, decision, display_text(decision)))
    raids = run.output.raid
    for raid_candidate, conf in zip(raids, confidences(run, "raid", len(raids)), strict=True):
        raid = grounder.raid(raid_candidate)
        raid.confidence = grounded_confidence(conf, raid)
        out.append((DraftKind.RAID, raid, display_text(raid)))
    open_questions = run.output.open_questions
    questions = (
        list(zip(open_questions, confidences(run, "open_questions", len(open_questions)), strict=True))
        + questions
    )
    for question_candidate, conf in questions:
        question = grounder.question(question_candidate)
        question.confidence = grounded_confidence(conf, question)
        out.append((DraftKind.QUESTION, question, display_text(question)))
    return out


def _context_lines(program: ProgramData | None) -> tuple[list[str], list[str]]:
    if program is None:
        return [], []
    people = [_person_line(p) for p in program.people]
    milestones = [f"{m.id}: {m.name} (target {m.current_forecast.isoformat()})" for m in program.milestones]
    return people, milestones


def _person_line(person: Person) -> str:
    aliases = ", ".join(person.aliases)
    return f"{person.name} ({aliases})" if aliases else person.name


def extract(
    document: Document,
    *,
    engine: Extractor,
    program: ProgramData | None = None,
    meeting_date: date | datetime | None = None,
    timezone: str | None = None,
    checker: DraftChecker | None = None,
    progress: Progress | None = None,
) -> ExtractionResult:
    """Drafts (grounded, checked) from one transcript. Pure with respect to program data: reads, never writes."""
    tz = timezone or (program.program.timezone if program else "UTC")
    meeting = meeting_date or document.meeting_date or (document.created_at if document.created_at else None)
    turns = document_turns(document)
    people, milestones = _context_lines(program)
    context = ExtractionContext(
        title=document.title,
        meeting_date=meeting_local_date(meeting, tz) if meeting else None,
        timezone=tz,
        people=people,
        milestones=milestones,
        participants=[p.name for p in program.people] if program else [],
    )
    run = engine.run(turns, context, progress=progress)
    lookup = people_lookup(program)
    check = checker or default_checker()
    draft_context = DraftContext(meeting_date=context.meeting_date, timezone=tz, source_text=document.text)
    drafts = [
        ExtractedDraft(
            kind=kind, payload=payload, findings=check(kind, payload, program, draft_context), text=text
        )
        for kind, payload, text in ground(
            run, turns, program=program, meeting=meeting, timezone=tz, lookup=lookup
        )
    ]
    engine_name: Literal["offline", "llm"] = run.engine
    return ExtractionResult(
        document_key=document.key,
        content_hash=document.content_hash,
        meeting_date=context.meeting_date,
        timezone=tz,
        provenance=Provenance(
            engine=engine_name,
            model=run.model,
            prompt_name=run.prompt_name,
            prompt_version=run.prompt_version,
            prompt_hash=run.prompt_hash,
            source_document_ids=[document.key],
        ),
        drafts=drafts,
        usage=run.usage,
        chunks=run.chunks,
        cache_hits=run.cache_hits,
        failures=run.failures,
    )


def default_checker(now: Clock = system_clock) -> DraftChecker:
    """The rules layer's draft checks at `now` (the caller's clock), with the program index built
    once per program."""
    built: dict[int, ProgramIndex] = {}

    def check(
        kind: DraftKind, payload: DraftPayload, program: ProgramData | None, context: DraftContext
    ) -> list[Finding]:
        if program is None:
            return []
        index = built.get(id(program))
        if index is None:
            built.clear()
            index = built[id(program)] = ProgramIndex.build(program)
        return run_checks(kind, payload, index, context, now())

    return check
