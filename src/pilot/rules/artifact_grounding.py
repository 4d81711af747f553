"""Grounding checks on an artifact draft: everything its text states must come from its sheet.

Line by line (a bullet, a paragraph or a table row): text quoted from the sheet (titles,
mitigations, criteria, the description) is set aside first; then every record id must be one the
sheet holds; dates and numbers on a line that names records must be those records' own or the
sheet's totals (a line naming none may use any of the sheet's); every name must be a person or
team of the sheet; and a readiness verdict must be the computed one. The same checks run on the
text a reviewer edits, so an edit cannot slip in a wrong date, number or person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from pilot.domain.artifacts import ArtifactDraft, ArtifactSheet, ItemFact
from pilot.domain.drafts import DraftContext, DraftKind
from pilot.domain.findings import Finding, Severity
from pilot.rules.checks import ProgramIndex, draft_check, register_payload_model
from pilot.rules.grounding import _NAME, _NUMBER, _dates_in

_ID = re.compile(r"\b[A-Z]{1,4}-\d{1,5}\b")
_VERDICT = re.compile(r"(?<![\w-])(NO-GO|GO)(?![\w-])")
_MARKER = re.compile(r"^\s*(?:[-*]\s+(?:\[[ x]\]\s+)?|\d+\.\s+)")
_DAY = r"(\d{4}-\d{2}-\d{2})"
# A value said in a role ("due 2026-11-30", "exposure 20") must be the record's value in that role.
_DATE_ROLES = (
    ("done", re.compile(rf"(?:decided|done|yes,) {_DAY}")),
    ("needed_by", re.compile(rf"needed by {_DAY}")),
    ("due", re.compile(rf"due {_DAY}")),
    ("target", re.compile(rf"target {_DAY}")),
    ("forecast", re.compile(rf"forecast {_DAY}")),
    ("gate", re.compile(rf"gate (?:on )?{_DAY}")),
)
_NUMBER_ROLES = (
    ("exposure", re.compile(r"exposure (\d+)")),
    ("slip_days", re.compile(r"\((\d+) days late\)")),
    ("impact_days", re.compile(r"\((\d+) days\)")),
)


class _Flag(Protocol):
    def __call__(
        self, rule: str, message: str, severity: Severity = ..., **values: str | float | None
    ) -> None: ...


@dataclass
class _Facts:
    numbers: set[float] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)

    def add(self, item: ItemFact) -> None:
        self.dates |= set(item.dates.values())
        for value in item.numbers.values():
            self.numbers |= {float(value), float(abs(value)), float(round(value))}


@dataclass
class SheetFacts:
    by_record: dict[str, _Facts]
    items: dict[str, ItemFact]
    totals: _Facts
    everything: _Facts
    texts: list[str]
    names: set[str]

    @classmethod
    def of(cls, sheet: ArtifactSheet) -> SheetFacts:
        by_record: dict[str, _Facts] = {}
        known: dict[str, ItemFact] = {}
        texts = [sheet.program_name, sheet.description, *sheet.criteria, *sheet.reasons]
        items = [
            *(i for section in sheet.sections.values() for i in section),
            *([sheet.release] if sheet.release else []),
        ]
        for item in items:
            by_record.setdefault(item.id, _Facts()).add(item)
            known.setdefault(item.id, item)
            texts += [item.title, item.detail or ""]
        totals = _Facts(dates={sheet.as_of, *([sheet.start_date] if sheet.start_date else [])})
        totals.numbers = {float(sheet.tier)} | {float(v) for v in sheet.summary.values()}
        totals.numbers |= {float(round(v)) for v in sheet.summary.values()}
        if sheet.release:
            totals.dates |= set(sheet.release.dates.values())
        everything = _Facts(set(totals.numbers), set(totals.dates))
        for found in by_record.values():
            everything.numbers |= found.numbers
            everything.dates |= found.dates
        names = set(sheet.people.values()) | set(sheet.teams.values())
        return cls(
            by_record,
            known,
            totals,
            everything,
            sorted({t for t in texts if len(t) >= 4}, key=len, reverse=True),
            names,
        )


def check_artifact(draft: ArtifactDraft, directory_names: Iterable[str] = ()) -> list[Finding]:
    sheet = draft.sheet
    facts = SheetFacts.of(sheet)
    directory = set(directory_names)
    findings: list[Finding] = []

    def flag(
        rule: str, message: str, severity: Severity = Severity.ERROR, **values: str | float | None
    ) -> None:
        findings.append(Finding(rule_id=rule, severity=severity, message=message, values=dict(values)))

    for number, raw in enumerate([draft.title, *draft.body.splitlines()]):
        line = _MARKER.sub("", raw).replace("**", "")
        if not line.strip() or re.fullmatch(r"[|\s:-]+", line):
            continue
        for text in facts.texts:  # quoted sheet text carries its own numbers, dates and names
            line = line.replace(text, " \u2063 ")
        ids = list(dict.fromkeys(_ID.findall(line)))
        for record_id in ids:
            if record_id not in facts.by_record:
                flag(
                    "artifact.unknown_record",
                    f"{record_id} is not a record of this {sheet.kind}.",
                    record=record_id,
                    line=number,
                )
        for position, (segment, named) in enumerate(_segments(line, facts)):
            if not named:
                allowed = facts.everything
            elif position == 0 and len(named) > 1:  # before the first of several records: about all
                allowed = _Facts(set(facts.totals.numbers), set(facts.totals.dates))
            else:  # the part about one record: its own dates and numbers only
                allowed = _Facts()
            for record_id in named:
                allowed.numbers |= facts.by_record[record_id].numbers
                allowed.dates |= facts.by_record[record_id].dates
            _check_values(_ID.sub(" ", segment), allowed, number, sheet.as_of.year, flag)
            if len(named) == 1:
                _check_roles(segment, facts.items[named[0]], number, flag)
        _check_names(line, facts.names, directory, number, flag)
        for said in _VERDICT.findall(line):
            if sheet.verdict and said != sheet.verdict:
                flag(
                    "artifact.verdict_contradiction",
                    f"'{said}' contradicts the computed verdict {sheet.verdict}.",
                    said=said,
                    computed=sheet.verdict,
                    line=number,
                )
    unique: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        unique.setdefault((finding.rule_id, finding.message), finding)
    return list(unique.values())


def _segments(line: str, facts: SheetFacts) -> list[tuple[str, list[str]]]:
    """A line cut at each known record id it names: each part is about the record before it (the
    text before the first id, about all of them). A line naming no record is one part."""
    known = [m for m in _ID.finditer(line) if m.group(0) in facts.by_record]
    if not known:
        return [(line, [])]
    parts = [(line[: known[0].start()], [m.group(0) for m in known])]
    for position, match in enumerate(known):
        end = known[position + 1].start() if position + 1 < len(known) else len(line)
        parts.append((line[match.start() : end], [match.group(0)]))
    return parts


def _check_values(text: str, allowed: _Facts, number: int, year: int, flag: _Flag) -> None:
    dates, rest = _dates_in(text, year)
    for day in dates:
        if day not in allowed.dates:
            flag(
                "artifact.ungrounded_date",
                f"{day} is not a date the sheet gives for this line.",
                date=day.isoformat(),
                line=number,
            )
    for value, _percent in _NUMBER.findall(rest):
        if float(value) not in allowed.numbers:
            flag(
                "artifact.ungrounded_number",
                f"{value} is not a number the sheet gives for this line.",
                number=float(value),
                line=number,
            )


def _check_roles(segment: str, item: ItemFact, number: int, flag: _Flag) -> None:
    """In a part about one record, a date or number said in a role must be that role's."""
    for role, pattern in _DATE_ROLES:
        expected = item.dates.get(role)
        for said in pattern.findall(segment):
            if expected is not None and date.fromisoformat(said) != expected:
                flag(
                    "artifact.ungrounded_date",
                    f"{item.id}: {role.replace('_', ' ')} {said} is not the record's {expected}.",
                    record=item.id,
                    date=said,
                    line=number,
                )
    for role, pattern in _NUMBER_ROLES:
        value = item.numbers.get(role)
        for said in pattern.findall(segment):
            if value is not None and float(said) != abs(value):
                flag(
                    "artifact.ungrounded_number",
                    f"{item.id}: {role.replace('_', ' ')} {said} is not the record's {value:g}.",
                    record=item.id,
                    number=float(said),
                    line=number,
                )


def _check_names(line: str, names: set[str], directory: set[str], number: int, flag: _Flag) -> None:
    for known in sorted(names, key=len, reverse=True):  # whole names first ("William O'Brien")
        line = line.replace(known, " ")
    for name in _NAME.findall(line):
        if name in directory:
            flag(
                "artifact.person_not_in_sheet",
                f"{name} is in the program but not in this artifact's facts.",
                Severity.WARNING,
                name=name,
                line=number,
            )
        else:
            flag(
                "artifact.unknown_name",
                f"'{name}' is no person or team of the sheet.",
                name=name,
                line=number,
            )


register_payload_model(DraftKind.ARTIFACT, ArtifactDraft)


@draft_check(
    "artifact.grounding", DraftKind.ARTIFACT, description="every fact in an artifact draft is in its sheet"
)
def grounding_check(
    draft: ArtifactDraft, index: ProgramIndex, _c: DraftContext, _n: datetime
) -> list[Finding]:
    return check_artifact(draft, (p.name for p in index.people.people))
