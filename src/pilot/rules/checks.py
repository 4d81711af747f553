"""Draft checks: pure functions that compare a draft against program data and what was said.

A check has a stable id, the draft kinds it applies to, and returns findings with the values
that made it fire. Checks register in `DRAFT_CHECKS`; later chains (status updates, answers)
register their own payload model and checks in the same registry, and `run_checks` runs every
check that applies to a draft's kind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from pilot.domain.drafts import (
    ActionItemDraft,
    DecisionDraft,
    DraftContext,
    DraftKind,
    QuestionDraft,
    RaidDraft,
)
from pilot.domain.findings import Finding, Severity
from pilot.domain.program import ActionStatus, DecisionStatus, Milestone, ProgramData, RaidKind
from pilot.rules.people import PeopleDirectory

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and the to of for on in by with at from is are be we i you it this that will can should "
    "need needs please get make sure up out".split()
)
_REF_TOKEN = re.compile(r"\b([A-Z]{1,5})-(\d{1,5})\b")


def _tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in _WORD.findall(text.lower()) if t not in _STOP and len(t) > 1)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two token sets relative to the smaller one (a short restatement still matches)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass(frozen=True)
class OpenItem:
    ref: str
    title: str
    tokens: frozenset[str]
    owner: str | None = None


class OpenItems:
    """Open items with an inverted index, so a duplicate lookup touches only items sharing a word."""

    def __init__(self, items: list[OpenItem]) -> None:
        self.items = items
        self.postings: dict[str, list[int]] = {}
        for position, item in enumerate(items):
            for token in item.tokens:
                self.postings.setdefault(token, []).append(position)

    def __iter__(self) -> Iterator[OpenItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def closest(self, tokens: frozenset[str], threshold: float) -> tuple[OpenItem, float] | None:
        """The open item most similar to `tokens` at or above `threshold`, if any.

        Prefix filtering: an item sharing at least `threshold` of the draft's words must share one
        of its `n - ceil(threshold * n) + 1` rarest words, so only those words' postings are read.
        (An open item shorter than the draft and made only of common words can slip through; the
        reviewer still sees the draft, so the check trades that for speed on large programs.)
        """
        # Words no open item uses cannot be shared; the prefix is taken over the rest.
        ordered = sorted((t for t in tokens if t in self.postings), key=lambda t: (len(self.postings[t]), t))
        prefix = len(ordered) - math.ceil(threshold * len(ordered)) + 1
        candidates: set[int] = set()
        for token in ordered[: max(1, prefix)]:
            candidates.update(self.postings.get(token, ()))
        best: tuple[OpenItem, float] | None = None
        for position in sorted(candidates):
            item = self.items[position]
            score = len(tokens & item.tokens) / min(len(tokens), len(item.tokens))
            if score >= threshold and (best is None or score > best[1]):
                best = (item, score)
        return best


@dataclass
class ProgramIndex:
    """What draft checks look up, built once per program load (not per draft)."""

    program_id: str
    people: PeopleDirectory
    milestones: dict[str, Milestone]
    team_ids: frozenset[str]
    known_ids: frozenset[str]
    id_prefixes: frozenset[str]
    open_actions: OpenItems = field(default_factory=lambda: OpenItems([]))
    open_raid: dict[RaidKind, OpenItems] = field(default_factory=dict)
    pending_decisions: OpenItems = field(default_factory=lambda: OpenItems([]))
    data: ProgramData | None = None

    @classmethod
    def build(cls, data: ProgramData) -> ProgramIndex:
        known: set[str] = set()
        for collection in (
            data.teams,
            data.people,
            data.milestones,
            data.dependencies,
            data.raid,
            data.decisions,
            data.action_items,
            data.change_requests,
            data.readiness,
            data.corrective_actions,
            data.incidents,
        ):
            known.update(record.id for record in collection)
        prefixes = {m.group(1) for m in (_REF_TOKEN.match(i) for i in known) if m}
        raid: dict[RaidKind, list[OpenItem]] = {}
        for item in data.raid:
            if item.is_open:
                raid.setdefault(item.kind, []).append(
                    OpenItem(f"raid:{item.id}", item.title, _tokens(f"{item.title}"), item.owner)
                )
        return cls(
            program_id=data.program.id,
            people=PeopleDirectory(data.people),
            milestones={m.id: m for m in data.milestones},
            team_ids=frozenset(t.id for t in data.teams),
            known_ids=frozenset(known),
            id_prefixes=frozenset(prefixes),
            open_actions=OpenItems(
                [
                    OpenItem(f"action:{a.id}", a.task, _tokens(a.task), a.owner)
                    for a in data.action_items
                    if a.status == ActionStatus.OPEN
                ]
            ),
            open_raid={kind: OpenItems(items) for kind, items in raid.items()},
            pending_decisions=OpenItems(
                [
                    OpenItem(f"decision:{d.id}", d.question, _tokens(d.question), d.decider)
                    for d in data.decisions
                    if d.status == DecisionStatus.PENDING
                ]
            ),
            data=data,
        )

    def unknown_references(self, text: str) -> list[str]:
        """Record ids written in text ("M-17", "DEP-04") that look like this program's ids but are not."""
        found = []
        for match in _REF_TOKEN.finditer(text):
            token = match.group(0)
            if match.group(1) in self.id_prefixes and token not in self.known_ids and token not in found:
                found.append(token)
        return found


CheckFn = Callable[[Any, ProgramIndex, DraftContext, datetime], Iterable[Finding]]


@dataclass(frozen=True)
class DraftCheck:
    id: str
    kinds: frozenset[DraftKind]
    description: str
    run: CheckFn


DRAFT_CHECKS: dict[str, DraftCheck] = {}
PAYLOAD_MODELS: dict[DraftKind, type[BaseModel]] = {
    DraftKind.ACTION_ITEM: ActionItemDraft,
    DraftKind.DECISION: DecisionDraft,
    DraftKind.RAID: RaidDraft,
    DraftKind.QUESTION: QuestionDraft,
}


def register_payload_model(kind: DraftKind, model: type[BaseModel]) -> None:
    PAYLOAD_MODELS[kind] = model


def draft_check(check_id: str, *kinds: DraftKind, description: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        if check_id in DRAFT_CHECKS:
            raise ValueError(f"draft check {check_id!r} registered twice")
        DRAFT_CHECKS[check_id] = DraftCheck(check_id, frozenset(kinds), description, fn)
        return fn

    return register


def run_checks(
    kind: DraftKind,
    payload: BaseModel | Mapping[str, Any],
    index: ProgramIndex,
    context: DraftContext,
    now: datetime,
) -> list[Finding]:
    """Every registered check for this kind of draft; a payload that does not parse is itself a finding."""
    model = PAYLOAD_MODELS.get(kind)
    if model is None:
        return []
    if isinstance(payload, model):
        draft: BaseModel = payload
    else:
        raw = payload.model_dump() if isinstance(payload, BaseModel) else dict(payload)
        try:
            draft = model.model_validate(raw)
        except ValidationError as exc:
            return [
                Finding(
                    rule_id="draft.invalid",
                    severity=Severity.ERROR,
                    message=f"The draft does not have the shape of a {kind.value}: {exc.error_count()} problems.",
                    values={
                        "errors": [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()][:10]
                    },
                )
            ]
    findings: list[Finding] = []
    for check in DRAFT_CHECKS.values():
        if kind in check.kinds:
            findings.extend(check.run(draft, index, context, now))
    findings.sort(key=lambda f: (-f.severity.rank, f.rule_id))
    return findings


# The concrete checks register themselves on import; they need the framework above.
from pilot.rules import artifact_grounding, draft_checks, grounding  # noqa: E402, F401
