"""The bundled sample program: valid, internally consistent, big enough, and shaped to fire every detector."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from pilot.connectors.program_file import parse_program_yaml
from pilot.domain.program import (
    ActionStatus,
    DecisionStatus,
    DependencyStatus,
    MilestoneStatus,
    ProgramData,
    RaidKind,
)
from pilot.sample import (
    SAMPLE_NOW,
    SAMPLE_PROGRAM_ID,
    SAMPLE_TIMEZONE,
    sample_dir,
    sample_program_path,
)

TODAY = SAMPLE_NOW.date()


@pytest.fixture(scope="module")
def program() -> ProgramData:
    return ProgramData.model_validate(yaml.safe_load(sample_program_path().read_text(encoding="utf-8")))


def test_sample_files_live_in_the_package() -> None:
    assert sample_program_path().is_file()
    assert sample_program_path().parent == sample_dir()
    assert (sample_dir() / "__init__.py").is_file()
    assert SAMPLE_NOW == datetime(2026, 11, 20, 17, 0, tzinfo=SAMPLE_TIMEZONE)
    assert SAMPLE_NOW.utcoffset() == timedelta(hours=-8)


def test_the_importer_accepts_the_sample(program: ProgramData) -> None:
    # The importer adds the consistency checks (references, date order) on top of the schema.
    imported = parse_program_yaml(sample_program_path().read_bytes(), source="sample")
    assert imported == program
    assert program.program.id == SAMPLE_PROGRAM_ID
    assert program.program.tier == 1
    assert program.program.timezone == "America/Los_Angeles"
    assert program.program.start_date == date(2026, 6, 1)


def _ids(records: list[Any]) -> set[str]:
    ids = [r.id for r in records]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, duplicates
    return set(ids)


def test_every_reference_points_at_a_record(program: ProgramData) -> None:
    people, teams = _ids(program.people), _ids(program.teams)
    milestones, incidents = _ids(program.milestones), _ids(program.incidents)
    for collection in ("dependencies", "raid", "decisions", "action_items", "change_requests", "readiness"):
        _ids(getattr(program, collection))
    _ids(program.corrective_actions)

    refs: list[tuple[str, str | None, set[str]]] = []
    refs += [(f"team {t.id} lead", t.lead, people) for t in program.teams]
    refs += [(f"person {p.id} team", p.team, teams) for p in program.people]
    for m in program.milestones:
        refs += [(f"{m.id} team", m.team, teams), (f"{m.id} owner", m.owner, people)]
    for d in program.dependencies:
        refs += [
            (f"{d.id} provider", d.provider_team, teams),
            (f"{d.id} consumer", d.consumer_team, teams),
            (f"{d.id} owner", d.owner, people),
            (f"{d.id} milestone", d.milestone, milestones),
        ]
    for r in program.raid:
        refs += [(f"{r.id} owner", r.owner, people), (f"{r.id} milestone", r.milestone, milestones)]
    for dec in program.decisions:
        refs += [
            (f"{dec.id} decider", dec.decider, people),
            (f"{dec.id} milestone", dec.milestone, milestones),
        ]
    for a in program.action_items:
        refs += [(f"{a.id} owner", a.owner, people), (f"{a.id} milestone", a.milestone, milestones)]
    refs += [(f"{c.id} milestone", c.milestone, milestones) for c in program.change_requests]
    for item in program.readiness:
        refs += [(f"{item.id} release", item.release, milestones), (f"{item.id} owner", item.owner, people)]
    for ca in program.corrective_actions:
        refs += [(f"{ca.id} incident", ca.incident, incidents), (f"{ca.id} owner", ca.owner, people)]
    refs += [(f"{i.id} release", i.release, milestones) for i in program.incidents]

    dangling = [(where, value) for where, value, known in refs if value is not None and value not in known]
    assert dangling == []
    # Every team lead belongs to the team they lead.
    by_id = {p.id: p for p in program.people}
    assert all(t.lead is not None and by_id[t.lead].team == t.id for t in program.teams)


def test_sizes(program: ProgramData) -> None:
    kinds = Counter(r.kind for r in program.raid)
    assert len(program.teams) == 6
    assert {t.id for t in program.teams} == {
        "payments-core",
        "ledger",
        "platform-infra",
        "risk-fraud",
        "mobile",
        "sre",
    }
    assert len(program.people) >= 24
    assert len(program.milestones) == 14
    assert len(program.dependencies) >= 16
    assert len(program.raid) >= 32 and all(kinds[k] >= 3 for k in RaidKind)
    assert len(program.decisions) >= 11
    assert len(program.action_items) >= 15
    assert len(program.change_requests) >= 6
    assert len(program.corrective_actions) >= 6
    assert len(program.incidents) >= 4
    wave1 = [r for r in program.readiness if r.release == "M-11"]
    assert len(wave1) >= 12 and any(r.done for r in wave1) and not all(r.done for r in wave1)
    assert "Cutover wave 1" in next(m.name for m in program.milestones if m.id == "M-11")


def test_people_have_contacts_aliases_and_an_ambiguous_first_name(program: ProgramData) -> None:
    assert all(p.email and p.aliases and p.team and p.role for p in program.people)
    first_names = Counter(p.name.split()[0] for p in program.people)
    alias_alex = [p.id for p in program.people if "Alex" in p.aliases]
    assert sorted(alias_alex) == ["alex.kim", "alex.rivera"]
    assert first_names["Alexander"] == 1 and first_names["Alexandra"] == 1
    bob = next(p for p in program.people if "Bob" in p.aliases)
    assert bob.name == "Robert Hayes"


def _timestamps(model: BaseModel) -> list[tuple[str, datetime]]:
    found: list[tuple[str, datetime]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, datetime):
                found.append((f"{type(model).__name__}.{name}", item))
            elif isinstance(item, BaseModel):
                found += _timestamps(item)
    return found


def test_timestamps_carry_the_program_zone_offset_of_their_day(program: ProgramData) -> None:
    stamps = _timestamps(program)
    assert len(stamps) > 100
    wrong = [
        (where, ts) for where, ts in stamps if ts.utcoffset() != ts.astimezone(SAMPLE_TIMEZONE).utcoffset()
    ]
    assert wrong == []
    # Nothing of record happens after the demo moment.
    assert max(ts for _, ts in stamps) <= SAMPLE_NOW


def test_forecast_history_is_consistent(program: ProgramData) -> None:
    for m in program.milestones:
        if m.forecast_history:
            assert m.forecast_history[-1].forecast == m.forecast_date, m.id
            assert all(ch.changed_on <= TODAY for ch in m.forecast_history), m.id
        assert (m.status == MilestoneStatus.DONE) == (m.completed_on is not None), m.id


def _business_days(start: date, end: date) -> int:
    days, cursor = 0, start
    while cursor < end:
        cursor += timedelta(days=1)
        days += cursor.weekday() < 5
    return days


def _ratio(hits: int, total: int) -> float:
    assert total > 0
    return hits / total


# The facts that make each tier-1 detector fire on the demo date, checked straight from the data
# (independent of the rules module, so a broken sample is caught even if a detector changes).
def test_the_data_gives_every_detector_something_to_find(program: ProgramData) -> None:
    now = SAMPLE_NOW
    open_ms = [
        m for m in program.milestones if m.status not in (MilestoneStatus.DONE, MilestoneStatus.CANCELLED)
    ]
    assert [m.id for m in open_ms if m.current_forecast > m.target_date], "no slipped milestone"
    assert [m.id for m in open_ms if m.current_forecast < TODAY], "no overdue milestone"

    due = [m for m in program.milestones if m.target_date <= TODAY]
    on_time = [m for m in due if m.completed_on is not None and m.completed_on <= m.target_date]
    assert 0 < _ratio(len(on_time), len(due)) < 0.90

    # Forecast accuracy: a milestone finished in the last 6 weeks whose forecast 6 weeks before
    # completion was off by more than 10% of that horizon.
    def forecast_as_of(m: Any, day: date) -> date:
        earlier = [ch.forecast for ch in m.forecast_history if ch.changed_on <= day]
        return earlier[-1] if earlier else m.target_date

    recent = [m for m in program.milestones if m.completed_on and m.completed_on > TODAY - timedelta(weeks=6)]
    misses = [
        m.id
        for m in recent
        if abs((m.completed_on - forecast_as_of(m, m.completed_on - timedelta(weeks=6))).days) > 0.10 * 42
    ]
    assert misses and len(misses) < len(recent)

    changes = [ch.changed_on for m in program.milestones if m.critical_path for ch in m.forecast_history]
    this_period = sum(TODAY - timedelta(days=14) < d <= TODAY for d in changes)
    last_period = sum(TODAY - timedelta(days=28) < d <= TODAY - timedelta(days=14) for d in changes)
    assert this_period > last_period > 0

    deps_due = [d for d in program.dependencies if d.due_date <= TODAY]
    closed_on_time = [d for d in deps_due if d.delivered_on is not None and d.delivered_on <= d.due_date]
    assert 0 < _ratio(len(closed_on_time), len(deps_due)) < 0.85
    assert [d.id for d in deps_due if d.status != DependencyStatus.DELIVERED], "no overdue dependency"
    soon = [
        d.id
        for d in program.dependencies
        if TODAY <= d.due_date <= TODAY + timedelta(days=14)
        and d.status in (DependencyStatus.AT_RISK, DependencyStatus.BLOCKED)
    ]
    assert len(soon) >= 2

    aged = [
        r.id
        for r in program.raid
        if r.kind in (RaidKind.RISK, RaidKind.ISSUE)
        and r.is_open
        and now - (r.last_progress_at or r.opened_at) > timedelta(days=30)
    ]
    assert len(aged) > 5
    issues = [r for r in program.raid if r.kind == RaidKind.ISSUE]
    unowned = [
        r.id for r in issues if r.owner is None and r.is_open and now - r.opened_at > timedelta(hours=24)
    ]
    slow = [
        r.id
        for r in issues
        if r.owner_assigned_at is not None and r.owner_assigned_at - r.opened_at > timedelta(hours=24)
    ]
    assert unowned and slow

    pending = [d for d in program.decisions if d.status == DecisionStatus.PENDING]
    late = [d for d in pending if _business_days(d.requested_at.date(), TODAY) > 5]
    assert late and len(late) < len(pending)
    assert all(d.options and d.needed_by and d.decider for d in late)
    assert any(d.recommendation and d.cost_of_delay for d in late)
    decided = [d for d in program.decisions if d.status == DecisionStatus.DECIDED]
    assert any(
        d.decided_at and _business_days(d.requested_at.date(), d.decided_at.date()) > 5 for d in decided
    )

    quantified = [c for c in program.change_requests if c.impact_days is not None]
    assert 0 < _ratio(len(quantified), len(program.change_requests)) < 0.80

    wave1 = [r for r in program.readiness if r.release == "M-11"]
    gate = min(r.gate_date for r in wave1)
    assert TODAY <= gate <= TODAY + timedelta(days=14)
    assert _ratio(sum(r.done for r in wave1), len(wave1)) < 0.95

    due_cas = [c for c in program.corrective_actions if c.due <= TODAY]
    cas_on_time = [c for c in due_cas if c.done_on is not None and c.done_on <= c.due]
    assert 0 < _ratio(len(cas_on_time), len(due_cas)) < 0.90
    assert [c.id for c in due_cas if c.done_on is None], "no overdue corrective action"

    sev1 = [i for i in program.incidents if i.severity == 1 and i.release is not None]
    assert sev1 and all(i.release in {m.id for m in program.milestones} for i in sev1)

    open_actions = [a for a in program.action_items if a.status == ActionStatus.OPEN]
    assert [a.id for a in open_actions if a.due and a.due < TODAY], "no overdue action item"
    assert [a.id for a in open_actions if a.owner is None], "no unowned action item"


def sample_work_items(program: ProgramData) -> list[Any]:
    """The sample's tickets as the forecasts read them (deduplicated by key, as ingest stores them)."""
    from pilot.connectors.files import read_path
    from pilot.pipeline.schedule import work_items
    from pilot.sample import tickets_dir

    documents = {}
    for path in sorted(tickets_dir().glob("*.json")):
        for doc in read_path(path, program.program.id, tz=SAMPLE_TIMEZONE).documents:
            documents[doc.key] = doc
    return work_items(list(documents.values()), program.program.timezone)


def test_every_detector_fires_and_every_kpi_has_a_value_on_the_demo_date(program: ProgramData) -> None:
    from pilot.rules.detectors import DETECTORS, scan

    result = scan(program, SAMPLE_NOW, work=sample_work_items(program), seed=1)
    fired = {f.rule_id for f in result.findings}
    # Every rule of every detector family fires on the sample, except the configuration check
    # (the sample's threshold overrides are all valid).
    expected = {r for spec in DETECTORS.values() for r in spec.rule_ids} - {"config.unknown_threshold"}
    assert expected - fired == set()
    assert [k.kpi_id for k in result.kpis if k.value is None] == []
    assert {k.kpi_id for k in result.kpis} == {k for spec in DETECTORS.values() for k in spec.kpi_ids}
    assert all(f.subjects for f in result.findings)
    by_rule = {f.rule_id: sorted(s for g in result.findings if g.rule_id == f.rule_id for s in g.subjects)
               for f in result.findings}  # fmt: skip
    # The facts the sample README promises, as the detectors report them.
    assert by_rule["milestone.overdue"] == ["milestone:M-08"]
    assert by_rule["dependency.overdue"] == ["dependency:DEP-10", "dependency:DEP-11"]
    assert by_rule["raid.owner_unassigned"] == ["raid:I-002", "raid:I-007", "raid:I-010"]
    assert by_rule["decision.latency"] == [f"decision:DEC-{n:02d}" for n in (7, 8, 9, 10)]
    assert by_rule["incident.sev1_release"] == ["incident:INC-2041", "milestone:M-06"]
    # The plan graph and the ticket forecasts (see the sample README's schedule section).
    assert by_rule["schedule.critical_flag_slack"] == ["milestone:M-08", "milestone:M-10"]
    assert by_rule["schedule.critical_unflagged"] == ["milestone:M-09", "milestone:M-14"]
    assert by_rule["schedule.critical_no_slack"] == ["milestone:M-14"]
    assert by_rule["forecast.p85_past_target"] == ["milestone:M-08", "milestone:M-09", "milestone:M-11"]
    changed = next(f for f in result.findings if f.rule_id == "schedule.critical_path_changed")
    assert changed.values["joined"] == ["DEP-12", "DEP-16", "M-09"] and changed.values["left"] == ["M-10"]
    m09 = next(
        f
        for f in result.findings
        if f.rule_id == "schedule.slip_propagation" and f.subjects[0] == "milestone:M-09"
    )
    assert "M-09 slips 8 business days -> DEP-16 slips 8" in m09.message
    assert (
        "M-11 slips 6 (2 days of slack absorbed)" in m09.message
        and "M-11 go/no-go 2026-12-01 at risk" in m09.message
    )
    assert len(by_rule["raid.aged"]) == 9
