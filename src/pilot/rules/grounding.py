"""Grounding checks on a status draft: everything the prose states must come from its fact sheet.

Line by line (a Markdown bullet or sentence is the unit): record ids must exist in the sheet;
numbers and dates must belong to the records the line names (or, on a line that names none, to
the sheet's own totals and dates); people named must be in the sheet; every colour word must be
the computed colour; and every pending decision past its latency threshold must be an ask.
Text quoted from the sheet (titles, questions, options, mitigations...) is set aside first: its
numbers and names are the sheet's own. Numbers written as words are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from pilot.domain.drafts import DraftContext, DraftKind
from pilot.domain.findings import Finding, Severity
from pilot.domain.status import FactSheet, StatusDraft
from pilot.rules.checks import ProgramIndex, draft_check, register_payload_model

_ID = re.compile(r"\b([A-Z]{1,4})-(\d{1,5})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_MONTH_WORD = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_TEXT_DATE = re.compile(
    rf"\b(?:(\d{{1,2}})\s+{_MONTH_WORD}|{_MONTH_WORD}\s+(\d{{1,2}})(?:st|nd|rd|th)?)\b(?:,?\s+(\d{{4}}))?",
    re.I,
)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(%?)(?![\w])")
_SEV = re.compile(r"\bSev\s?(\d)\b", re.I)
_COLOUR = re.compile(r"\b(red|amber|yellow|green)\b", re.I)
_NAME = re.compile(r"\b[A-Z][a-z'\u2019]+(?:[ -][A-Z][a-z'\u2019]+){1,2}\b")
_MARKER = re.compile(r"^\s*(?:[-*\u2022]|\d+\.)\s+")


@dataclass
class Facts:
    numbers: set[float] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)


@dataclass
class SheetFacts:
    by_record: dict[str, Facts]
    roles: dict[str, dict[str, int | date | None]]
    by_kpi: dict[str, Facts]
    totals: Facts
    all_dates: set[date]
    texts: list[str]
    people: set[str]
    teams: set[str]

    @classmethod
    def of(cls, sheet: FactSheet) -> SheetFacts:
        by_record: dict[str, Facts] = {}
        roles: dict[str, dict[str, int | date | None]] = {}
        texts: list[str] = [sheet.program_name, *sheet.changes_since_last_update, *sheet.colour_reasons]
        for m in sheet.milestones:
            by_record[m.id] = Facts(
                {float(m.slip_days), float(abs(m.slip_days)), float(m.moved_in_period)},
                {m.target, m.forecast, *([m.previous_forecast] if m.previous_forecast else [])},
            )
            texts.append(m.name)
            roles[m.id] = {
                "slip": m.slip_days,
                "target": m.target,
                "forecast": m.forecast,
                "moved": m.moved_in_period,
            }
        for r in sheet.top_risks:
            by_record[r.id] = Facts({float(r.exposure), float(r.age_days)}, set())
            texts += [r.title, r.mitigation or ""]
            roles[r.id] = {"exposure": r.exposure, "age": r.age_days}
        for d in sheet.dependencies_at_risk:
            by_record[d.id] = Facts(set(), {d.due})
            texts += [d.deliverable, d.provider, d.consumer]
            roles[d.id] = {"due": d.due}
        for c in sheet.pending_decisions:
            by_record[c.id] = Facts({float(c.waited_business_days)}, {c.needed_by} if c.needed_by else set())
            texts += [c.question, *c.options, c.recommendation or "", c.cost_of_delay or ""]
            roles[c.id] = {"waited": c.waited_business_days, "needed_by": c.needed_by}
        for i in sheet.incidents:
            by_record[i.id] = Facts({float(i.severity)}, {i.started})
            texts.append(i.title)
            if i.release:  # the release an incident is attributed to may be a milestone done long ago
                by_record.setdefault(i.release, Facts())
        _schedule_facts(sheet, by_record, roles, texts)
        by_kpi: dict[str, Facts] = {}
        for k in sheet.kpis:
            numbers = {float(x) for x in (k.numerator, k.denominator) if x is not None}
            if k.value is not None:
                numbers |= {round(k.value, 2), float(round(k.value)), float(round(k.value * 100))}
            numbers |= {float(n) for n in re.findall(r"\d+(?:\.\d+)?", k.target)}
            numbers |= {float(round(float(n) * 100)) for n in re.findall(r"0\.\d+", k.target)}
            by_kpi[k.name] = Facts(numbers, set())
            texts += [k.name, k.detail, k.target]
        past = [d for d in sheet.pending_decisions if d.past_threshold]
        totals = Facts(
            {
                float(n)
                for n in (
                    len(sheet.milestones),
                    len(sheet.top_risks),
                    len(sheet.dependencies_at_risk),
                    len(sheet.pending_decisions),
                    len(past),
                    len(sheet.incidents),
                    sheet.tier,
                    sheet.decision_latency_threshold,
                    (sheet.as_of - sheet.period_start).days,
                    len([m for m in sheet.milestones if m.slip_days > 0 and m.status != "done"]),
                )
            },
            {sheet.as_of, sheet.period_start},
        )
        all_dates = set(totals.dates).union(*(f.dates for f in by_record.values()))
        return cls(
            by_record,
            roles,
            by_kpi,
            totals,
            all_dates,
            sorted({t for t in texts if len(t) >= 4}, key=len, reverse=True),
            set(sheet.people.values()),
            set(sheet.teams.values()) | set(sheet.teams),
        )


def _schedule_facts(
    sheet: FactSheet,
    by_record: dict[str, Facts],
    roles: dict[str, dict[str, int | date | None]],
    texts: list[str],
) -> None:
    """Records on the critical path and in slips are known; forecasts give their milestone the P50,
    P85 and chance; a slip gives each record it moves its business days, slack and target."""
    for record_id in sheet.critical_path:
        by_record.setdefault(record_id, Facts())
    if sheet.critical_path and sheet.plan_finish:
        by_record[sheet.critical_path[-1]].dates.add(sheet.plan_finish)
    for f in sheet.forecasts:
        facts = by_record.setdefault(f.milestone_id, Facts())
        facts.dates |= {d for d in (f.p50, f.p85, f.target) if d is not None}
        if f.chance_pct is not None:
            facts.numbers.add(float(f.chance_pct))
        roles.setdefault(f.milestone_id, {}).update({"p50": f.p50, "p85": f.p85, "chance": f.chance_pct})
        texts += [f.name, f.reason, *f.drivers]
    for slip in sheet.slips:
        origin = by_record.setdefault(slip.origin, Facts())
        origin.dates |= {slip.changed_from, slip.changed_to}
        for record_id, days in slip.moved.items():
            facts = by_record.setdefault(record_id, Facts())
            facts.numbers |= {float(days), float(slip.absorbed.get(record_id, 0))}
            facts.dates.add(slip.targets[record_id])
        for release, gate in slip.gates.items():
            by_record.setdefault(release, Facts()).dates.add(gate)


def _dates_in(text: str, year: int) -> tuple[list[date], str]:
    found: list[date] = []

    def iso(match: re.Match[str]) -> str:
        try:
            found.append(date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
        except ValueError:
            pass
        return " "

    def textual(match: re.Match[str]) -> str:
        day = match.group(1) or match.group(4)
        month = match.group(2) or match.group(3)
        try:
            found.append(date(int(match.group(5) or year), _MONTHS[month[:3].lower()], int(day)))
        except ValueError:
            pass
        return " "

    text = _ISO.sub(iso, text)
    return found, _TEXT_DATE.sub(textual, text)


_ROLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("slip", re.compile(r"(\d+) days? (?:late|after|behind|past)")),
    (
        "target",
        re.compile(
            r"(?:target|plan(?:ned)?(?: for)?|due)(?: date)?(?: of| is| was| on)? (\d{4}-\d{2}-\d{2})"
        ),
    ),
    ("target", re.compile(r"(\d{4}-\d{2}-\d{2}) plan")),
    (
        "forecast",
        re.compile(r"(?:forecast(?:ed)?(?: for| at| to)?|now|done|moved to|landing) (\d{4}-\d{2}-\d{2})"),
    ),
    ("exposure", re.compile(r"exposure (?:of )?(\d+)")),
    ("age", re.compile(r"open (?:for )?(\d+) days")),
    ("waited", re.compile(r"(\d+) business days")),
    ("needed_by", re.compile(r"needed by (\d{4}-\d{2}-\d{2})")),
    ("due", re.compile(r"due (?:on )?(\d{4}-\d{2}-\d{2})")),
    ("moved", re.compile(r"moved (\d+) times?")),
    ("p50", re.compile(r"\bP50 (\d{4}-\d{2}-\d{2})")),
    ("p85", re.compile(r"\bP85 (\d{4}-\d{2}-\d{2})")),
    ("chance", re.compile(r"(\d+)% chance")),
)


def _check_clause(
    clause: str,
    context_ids: list[str],
    kpis: list[Facts],
    facts: SheetFacts,
    sheet: FactSheet,
    heading: bool,
    number: int,
    flag: Callable[..., None],
) -> None:
    """Numbers and dates of one clause: they must be its record's own (and in the right role:
    "7 days late" is the slip, "target 2026-12-03" the target), or the sheet's totals when the
    clause names no record."""
    context = Facts()
    for record_id in context_ids:
        context.numbers |= facts.by_record[record_id].numbers
        context.dates |= facts.by_record[record_id].dates
    if len(context_ids) == 1:
        roles = facts.roles.get(context_ids[0], {})
        for role, pattern in _ROLE_PATTERNS:
            expected = roles.get(role)
            if expected is None and role not in roles:
                continue
            for match in pattern.finditer(clause):
                said: int | date = (
                    date.fromisoformat(match.group(1)) if "-" in match.group(1) else int(match.group(1))
                )
                if role == "slip" and isinstance(expected, int):
                    expected = abs(expected)
                if said != expected:
                    rule = "status.ungrounded_date" if isinstance(said, date) else "status.ungrounded_number"
                    flag(
                        rule,
                        f"{context_ids[0]}: '{match.group(0)}' does not match the fact sheet ({role} {expected}).",
                        record=context_ids[0],
                        line=number,
                    )
    text = _ID.sub(" ", clause)
    dates, text = _dates_in(text, sheet.as_of.year)
    allowed_dates = (context.dates | facts.totals.dates) if context_ids else facts.all_dates
    for day in dates:
        if day not in allowed_dates:
            flag(
                "status.ungrounded_date",
                f"{day} is not a date the fact sheet gives for this line.",
                date=day.isoformat(),
                line=number,
            )
    if heading:
        return
    text = _SEV.sub(lambda m: f" sev{m.group(1)} ", text)
    if context_ids:
        allowed = set(context.numbers)
    elif kpis:
        allowed = set().union(*(k.numbers for k in kpis))
    else:
        allowed = set(facts.totals.numbers)
    for value, _percent in _NUMBER.findall(text):
        if float(value) not in allowed:
            flag(
                "status.ungrounded_number",
                f"{value} is not a number the fact sheet gives for this line.",
                number=float(value),
                line=number,
            )


def check_status_draft(draft: StatusDraft, directory_names: Iterable[str] = ()) -> list[Finding]:
    sheet = draft.fact_sheet
    facts = SheetFacts.of(sheet)
    findings: list[Finding] = []
    directory = set(directory_names)

    def flag(
        rule: str, message: str, severity: Severity = Severity.ERROR, **values: str | float | None
    ) -> None:
        findings.append(Finding(rule_id=rule, severity=severity, message=message, values=dict(values)))

    if draft.colour != sheet.colour:
        flag(
            "status.colour_contradiction",
            f"The draft says {draft.colour.value}; the computed status is {sheet.colour.value}.",
            said=draft.colour.value,
            computed=sheet.colour.value,
        )
    lines = [draft.headline, *draft.body.splitlines()]
    for number, raw in enumerate(lines):
        line = _MARKER.sub("", raw).replace("**", "")
        if not line.strip():
            continue
        heading = raw.lstrip().startswith("#")
        for text in facts.texts:  # quoted sheet text carries its own numbers and names
            if text in line:
                line = line.replace(text, " \u2063 ")
        for word in _COLOUR.findall(line):
            if word.lower() != sheet.colour.value and not (
                word.lower() == "yellow" and sheet.colour.value == "amber"
            ):
                flag(
                    "status.colour_contradiction",
                    f"'{word}' contradicts the computed status {sheet.colour.value}.",
                    said=word.lower(),
                    computed=sheet.colour.value,
                    line=number,
                )
        ids = [f"{m.group(1)}-{m.group(2)}" for m in _ID.finditer(line)]
        for record_id in ids:
            if record_id not in facts.by_record:
                rule = "status.invented_milestone" if record_id.startswith("M-") else "status.unknown_record"
                flag(rule, f"{record_id} is not in the fact sheet.", record=record_id, line=number)
        kpis = [kpi for name, kpi in facts.by_kpi.items() if name.lower() in raw.lower()]
        subject: list[str] = []
        # A chain ("M-09 slips 8 -> DEP-16 slips 8 -> ...") is a clause per step: each names its record.
        for position, clause in enumerate(re.split(r";|(?<=[a-z)])\. | -> ", line)):
            clause_ids = [
                f"{m.group(1)}-{m.group(2)}"
                for m in _ID.finditer(clause)
                if f"{m.group(1)}-{m.group(2)}" in facts.by_record
            ]
            if position == 0:
                subject = clause_ids
            context_ids = clause_ids or subject
            _check_clause(clause, context_ids, kpis, facts, sheet, heading, number, flag)
        for name in _NAME.findall(line):
            if name in facts.people or name in facts.teams:
                continue
            if name in directory:
                flag(
                    "status.person_not_in_sheet",
                    f"{name} is in the program but not in this update's facts.",
                    Severity.WARNING,
                    name=name,
                    line=number,
                )
            else:
                flag(
                    "status.unknown_name",
                    f"'{name}' is no person, team or record in the fact sheet.",
                    name=name,
                    line=number,
                )
    asked = {a.decision_id: a for a in draft.asks}
    for decision in sheet.pending_decisions:
        if decision.past_threshold and decision.id not in asked:
            flag(
                "status.missing_decision_ask",
                f"{decision.id} has waited {decision.waited_business_days} business days "
                f"(threshold {sheet.decision_latency_threshold}) and is not among the decision asks.",
                decision=decision.id,
            )
        ask = asked.get(decision.id)
        if ask is not None and (ask.decider or None) != (decision.decider or None):
            flag(
                "status.ask_mismatch",
                f"The ask for {decision.id} names {ask.decider} as decider; the sheet says "
                f"{decision.decider}.",
                decision=decision.id,
            )
    for decision_id in asked:
        if decision_id not in {d.id for d in sheet.pending_decisions}:
            flag("status.unknown_record", f"Ask {decision_id} is not a pending decision.", record=decision_id)
    unique: dict[tuple[str, str], Finding] = {}
    for f in findings:
        unique.setdefault((f.rule_id, f.message), f)
    return list(unique.values())


register_payload_model(DraftKind.STATUS_UPDATE, StatusDraft)


@draft_check(
    "status.grounding",
    DraftKind.STATUS_UPDATE,
    description="every fact in a status draft is in its fact sheet",
)
def grounding_check(draft: StatusDraft, index: ProgramIndex, _c: DraftContext, _n: datetime) -> list[Finding]:
    return check_status_draft(draft, (p.name for p in index.people.people))
