"""The grounding suite: clean status drafts from the sample program's fact sheets at many dates
and for every audience, and perturbed copies with one realistic error each (a wrong number, an
unknown person, a shifted date, a flipped colour, a missing decision ask, an invented
milestone). The checks see only the draft; the report says what share of perturbations they
caught and what share of clean drafts they flagged."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from pilot.domain.program import ProgramData
from pilot.domain.status import Audience, Colour, StatusDraft
from pilot.evals.corpus import eval_pilot
from pilot.pipeline.context import Pilot
from pilot.pipeline.demo import DEMO_NOW, sample_program_path
from pilot.pipeline.programs import get_program, import_program_file
from pilot.pipeline.status import check_status_text, create_status_draft

AUDIENCES: tuple[Audience, ...] = ("exec", "engineering", "product")
FAKE_PEOPLE = ["Jordan Blake", "Maria Lopez", "Kevin Osei", "Hannah Weiss", "Ravi Menon", "Chloe Martin"]
FAKE_MILESTONES = [
    "Data retention sign-off",
    "Merchant portal beta",
    "Chargeback service cutover",
    "Fraud model retrain",
]
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUM_IN_LINE = re.compile(r"(?<![\w.-])(\d{1,3})(?= days| per period|%|,|\)| business| times)")

Perturbation = Callable[[StatusDraft, random.Random, ProgramData], StatusDraft | None]


def _with_body(draft: StatusDraft, body: str, **changes: Any) -> StatusDraft:
    return draft.model_copy(update={"body": body, **changes})


def wrong_number(draft: StatusDraft, rng: random.Random, _d: ProgramData) -> StatusDraft | None:
    lines = draft.body.splitlines()
    spots = [
        (i, m)
        for i, line in enumerate(lines)
        if not line.lstrip().startswith("#")
        for m in _NUM_IN_LINE.finditer(line)
    ]
    if not spots:
        return None
    i, match = rng.choice(spots)
    value = int(match.group(1))
    new = max(0, value + rng.choice([1, 2, 3, 5, 7, 10, -1, -2]))
    if new == value:
        new = value + 4
    lines[i] = lines[i][: match.start(1)] + str(new) + lines[i][match.end(1) :]
    return _with_body(draft, "\n".join(lines) + "\n")


def unknown_person(draft: StatusDraft, rng: random.Random, data: ProgramData) -> StatusDraft | None:
    fake = rng.choice([n for n in FAKE_PEOPLE if n not in {p.name for p in data.people}])
    names = [n for n in draft.fact_sheet.people.values() if n in draft.body]
    if names and rng.random() < 0.7:
        victim = rng.choice(names)
        return _with_body(draft, draft.body.replace(victim, fake, 1))
    lines = draft.body.splitlines()
    where = next((i for i, line in enumerate(lines) if line.startswith("**")), 1)
    lines.insert(where + 1, f"\n{fake} will follow up with the vendor this week.")
    return _with_body(draft, "\n".join(lines) + "\n")


def shifted_date(draft: StatusDraft, rng: random.Random, _d: ProgramData) -> StatusDraft | None:
    lines = draft.body.splitlines()
    spots = [(i, m) for i, line in enumerate(lines[1:], start=1) for m in _ISO.finditer(line)]
    if not spots:
        return None
    i, match = rng.choice(spots)
    shifted = date.fromisoformat(match.group(0)) + timedelta(days=rng.choice([1, 2, 3, 7, 14, -1, -7]))
    lines[i] = lines[i][: match.start()] + shifted.isoformat() + lines[i][match.end() :]
    return _with_body(draft, "\n".join(lines) + "\n")


def flipped_colour(draft: StatusDraft, rng: random.Random, _d: ProgramData) -> StatusDraft | None:
    other = rng.choice([c for c in Colour if c != draft.colour]).value
    word = draft.colour.value
    if rng.random() < 0.5:
        return _with_body(draft, draft.body.replace(word.upper(), other.upper(), 1))
    headline = draft.headline.replace(word.upper(), other.upper())
    return _with_body(draft, draft.body.replace(draft.headline, headline), headline=headline)


def missing_ask(draft: StatusDraft, rng: random.Random, _d: ProgramData) -> StatusDraft | None:
    if not draft.asks:
        return None
    victim = rng.choice(draft.asks)
    lines, kept, skipping = draft.body.splitlines(), [], False
    for line in lines:
        if re.match(rf"^\d+\. \*\*{re.escape(victim.decision_id)}:", line):
            skipping = True
            continue
        if skipping and line.startswith("   "):
            continue
        skipping = False
        kept.append(line)
    asks = [a for a in draft.asks if a.decision_id != victim.decision_id]
    return _with_body(draft, "\n".join(kept) + "\n", asks=asks)


def invented_milestone(draft: StatusDraft, rng: random.Random, data: ProgramData) -> StatusDraft | None:
    numbers = [int(m.id.split("-")[1]) for m in data.milestones if m.id.startswith("M-")]
    new_id = f"M-{max(numbers, default=0) + rng.randint(1, 6):02d}"
    when = draft.fact_sheet.as_of + timedelta(days=rng.randint(5, 40))
    bullet = f"- {new_id} {rng.choice(FAKE_MILESTONES)}: forecast {when}, target {when}"
    lines = draft.body.splitlines()
    heading = next(
        (
            i
            for i, line in enumerate(lines)
            if line.startswith("## ") and ("Milestone" in line or "dates" in line)
        ),
        None,
    )
    if heading is None:
        return None
    lines.insert(heading + 1, bullet)
    return _with_body(draft, "\n".join(lines) + "\n")


PERTURBATIONS: dict[str, Perturbation] = {
    "wrong_number": wrong_number, "unknown_person": unknown_person, "shifted_date": shifted_date,
    "flipped_colour": flipped_colour, "missing_decision_ask": missing_ask, "invented_milestone": invented_milestone,
}  # fmt: skip


def run_grounding_eval(
    *, seed: int = 20261124, days_before: int = 60, days_after: int = 30, step: int = 3
) -> dict[str, Any]:
    with eval_pilot() as ev:
        program_id = import_program_file(ev.pilot, sample_program_path()).program_id
        return _run(
            ev.pilot, get_program(ev.pilot, program_id), seed, range(-days_before, days_after + 1, step)
        )


def _run(pilot: Pilot, data: ProgramData, seed: int, offsets: range) -> dict[str, Any]:
    """Per day and audience: the draft `pilot status` makes (offline engine), checked as the
    status editor checks edited text; then each perturbation of it, checked the same way."""
    program_id = data.program.id
    rng = random.Random(seed)
    clean_total = clean_flagged = 0
    per: dict[str, dict[str, int]] = {name: {"cases": 0, "caught": 0} for name in PERTURBATIONS}
    missed: list[dict[str, str]] = []
    false_alarms: list[dict[str, Any]] = []
    for offset in offsets:
        now: datetime = DEMO_NOW + timedelta(days=offset)
        for audience in AUDIENCES:
            draft = create_status_draft(pilot, program_id, audience, now=now, use_llm=False).status
            sheet = draft.fact_sheet
            clean_total += 1
            found = check_status_text(pilot, program_id, draft)
            if found:
                clean_flagged += 1
                false_alarms.append(
                    {
                        "as_of": sheet.as_of.isoformat(),
                        "audience": audience,
                        "findings": [f.message for f in found][:3],
                    }
                )
            for name, perturb in PERTURBATIONS.items():
                changed = perturb(draft, rng, data)
                if changed is None or changed == draft:
                    continue
                per[name]["cases"] += 1
                if check_status_text(pilot, program_id, changed):
                    per[name]["caught"] += 1
                elif len(missed) < 20:
                    missed.append(
                        {"perturbation": name, "as_of": sheet.as_of.isoformat(), "audience": audience}
                    )
    perturbed = sum(p["cases"] for p in per.values())
    caught = sum(p["caught"] for p in per.values())
    return {
        "suite": "grounding",
        "cases": clean_total + perturbed,
        "clean_drafts": clean_total,
        "perturbed_drafts": perturbed,
        "caught_share": round(caught / perturbed, 4) if perturbed else None,
        "clean_flagged_share": round(clean_flagged / clean_total, 4) if clean_total else None,
        "per_perturbation": {
            k: {**v, "caught_share": round(v["caught"] / v["cases"], 4) if v["cases"] else None}
            for k, v in per.items()
        },
        "missed_examples": missed,
        "false_alarms": false_alarms[:20],
        "goal": {"caught_share_min": 0.99, "clean_flagged_share_max": 0.01},
    }
