"""`pilot eval extraction --sample`: the sample transcripts against their `gold.yaml`.

Each transcript is parsed by the connectors and extracted by `pipeline.extract_grounding.extract`
with the sample program (the same function and the same inputs as `pilot extract`). A draft
matches a gold item of its kind when their quotes overlap (the words of the shorter quote found in
the longer one, at least `QUOTE_MATCH`); drafts and gold items are paired one to one, best overlap
first. Reported: item precision, recall and F1 per kind and overall; owner and due-date accuracy on
matched action items; and the junk share, the drafts that match no gold item (a draft from a line
that gold lists as a non-commitment is junk too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pilot.domain.drafts import ActionItemDraft, DraftKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.evals.extraction import TypeCounts
from pilot.pipeline.demo import sample_program_path, transcripts_dir
from pilot.pipeline.extract import transcript_parser
from pilot.pipeline.extract_grounding import ExtractedDraft, extract
from pilot.pipeline.llm import Extractor
from pilot.pipeline.programs import parse_program
from pilot.settings import get_settings

QUOTE_MATCH = 0.7
GOLD_KINDS: dict[str, DraftKind] = {
    "action_items": DraftKind.ACTION_ITEM,
    "decisions": DraftKind.DECISION,
    "risks": DraftKind.RAID,
    "open_questions": DraftKind.QUESTION,
}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def quote_overlap(a: str, b: str) -> float:
    """Share of the shorter quote's words that occur, in order-free fashion, in the longer one."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    short, long = (wa, set(wb)) if len(wa) <= len(wb) else (wb, set(wa))
    return sum(1 for w in short if w in long) / len(short)


@dataclass
class SampleScore:
    kinds: dict[str, TypeCounts] = field(default_factory=lambda: {k: TypeCounts() for k in GOLD_KINDS})
    owner_right: int = 0
    due_right: int = 0
    matched_actions: int = 0
    junk: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    drafts: int = 0

    def total(self) -> TypeCounts:
        out = TypeCounts()
        for counts in self.kinds.values():
            out.add(counts)
        return out

    def report(self) -> dict[str, Any]:
        total = self.total()
        return {
            "items": total.as_dict(),
            "by_kind": {kind: counts.as_dict() for kind, counts in self.kinds.items()},
            "owner_accuracy": round(self.owner_right / self.matched_actions, 4)
            if self.matched_actions
            else 0.0,
            "due_accuracy": round(self.due_right / self.matched_actions, 4) if self.matched_actions else 0.0,
            "matched_actions": self.matched_actions,
            "drafts": self.drafts,
            "junk_share": round(len(self.junk) / self.drafts, 4) if self.drafts else 0.0,
            "junk": self.junk,
            "missed": self.missed,
            "mismatches": self.mismatches,
        }


def _pairs(gold: Sequence[dict[str, Any]], drafts: Sequence[ExtractedDraft]) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, draft index), best quote overlap first."""
    scored = [
        (quote_overlap(str(g.get("quote", "")), _evidence_quote(d)), gi, di)
        for gi, g in enumerate(gold)
        for di, d in enumerate(drafts)
    ]
    pairs: list[tuple[int, int]] = []
    used_gold: set[int] = set()
    used_draft: set[int] = set()
    for score, gi, di in sorted(scored, key=lambda s: -s[0]):
        if score < QUOTE_MATCH or gi in used_gold or di in used_draft:
            continue
        pairs.append((gi, di))
        used_gold.add(gi)
        used_draft.add(di)
    return pairs


def _evidence_quote(draft: ExtractedDraft) -> str:
    evidence = getattr(draft.payload, "evidence", None)
    return evidence.quote if evidence is not None else draft.text


def score_meeting(meeting: dict[str, Any], drafts: Sequence[ExtractedDraft], score: SampleScore) -> None:
    score.drafts += len(drafts)
    for gold_key, kind in GOLD_KINDS.items():
        gold = list(meeting.get(gold_key) or [])
        mine = [d for d in drafts if d.kind == kind]
        pairs = _pairs(gold, mine)
        counts = score.kinds[gold_key]
        counts.add(TypeCounts(matched=len(pairs), predicted=len(mine), gold=len(gold)))
        matched_drafts = {di for _, di in pairs}
        matched_gold = {gi for gi, _ in pairs}
        score.junk += [
            f"{meeting['file']}: {kind.value}: {d.text}"
            for i, d in enumerate(mine)
            if i not in matched_drafts
        ]
        score.missed += [
            f"{meeting['file']}: {gold_key}: {g.get('quote')}"
            for i, g in enumerate(gold)
            if i not in matched_gold
        ]
        if kind != DraftKind.ACTION_ITEM:
            continue
        for gi, di in pairs:
            payload = mine[di].payload
            assert isinstance(payload, ActionItemDraft)
            score.matched_actions += 1
            owner_ok = payload.owner_id == gold[gi].get("owner")
            due = payload.due.isoformat() if payload.due else None
            due_ok = due == gold[gi].get("due")
            score.owner_right += int(owner_ok)
            score.due_right += int(due_ok)
            if not (owner_ok and due_ok):
                score.mismatches.append(
                    f"{meeting['file']}: {mine[di].text} (gold owner {gold[gi].get('owner')}, due {gold[gi].get('due')})"
                )


def run_sample_eval(*, engine: Extractor, folder: Path | None = None) -> dict[str, Any]:
    """Extract every sample transcript of `gold.yaml` with the sample program and score it."""
    folder = folder or transcripts_dir()
    gold_path = folder / "gold.yaml"
    if not gold_path.is_file():
        raise PilotError(ErrorCode.INVALID_INPUT, f"no gold.yaml in {folder}")
    gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    program = parse_program(sample_program_path().read_bytes(), source=str(sample_program_path()))
    parse_transcript = transcript_parser(get_settings())
    score = SampleScore()
    for meeting in gold["meetings"]:
        meeting_date = date.fromisoformat(str(meeting["meeting_date"]))
        path = folder / meeting["file"]
        document = parse_transcript(path.read_bytes(), path.name, program.program.id, meeting_date)
        result = extract(
            document,
            engine=engine,
            program=program,
            meeting_date=meeting_date,
            timezone=program.program.timezone,
        )
        score_meeting(meeting, result.drafts, score)
    return {"suite": "extraction-sample", "meetings": len(gold["meetings"]), **score.report()}
