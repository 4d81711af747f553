"""Program detectors, table-driven around their thresholds, weekends and time zones."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from pilot.domain.findings import KpiStatus, Severity
from pilot.domain.program import Tier
from pilot.rules.base import DETECTORS
from pilot.rules.detectors import ScanResult, scan
from pilot.rules.thresholds import TIER_DEFAULTS, thresholds_for

from .builders import LA, at, milestone, program

NOW = at("2026-11-20 17:00")  # a Friday in Los Angeles


def rule_ids(result: ScanResult) -> set[str]:
    return {f.rule_id for f in result.findings}


def findings_of(result: ScanResult, rule_id: str) -> list[Any]:
    return [f for f in result.findings if f.rule_id == rule_id]


def kpi(result: ScanResult, kpi_id: str) -> Any:
    return next(k for k in result.kpis if k.kpi_id == kpi_id)


def risk(rid: str, opened: str, *, progress: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": rid, "kind": fields.pop("kind", "R"), "title": f"Risk {rid}", "owner": "ana",
            "opened_at": at(opened), "last_progress_at": at(progress) if progress else None, **fields}  # fmt: skip


# --- aged risks: strictly past the tier's threshold, measured from last progress ----------------


@pytest.mark.parametrize(
    ("tier", "last_touch", "aged"),
    [
        (1, "2026-10-21 17:00", False),  # exactly 30 days: not past the threshold
        (1, "2026-10-21 16:59", True),  # one minute more
        (2, "2026-10-21 16:59", False),  # tier 2 allows 45 days
        (2, "2026-10-06 16:00", True),  # 45 days and an hour
        (3, "2026-09-21 18:00", False),  # tier 3 allows 60 days (59 d 23 h)
        (3, "2026-09-21 16:00", True),
    ],
)
def test_aged_risk_threshold_per_tier(tier: int, last_touch: str, aged: bool) -> None:
    data = program(tier=tier, raid=[risk("R-1", "2026-06-01 09:00", progress=last_touch)])
    assert ("raid.aged" in rule_ids(scan(data, NOW))) is aged


@pytest.mark.parametrize(
    ("status", "kind", "fires"),
    [
        ("open", "R", True),
        ("mitigating", "I", True),
        ("closed", "R", False),
        ("accepted", "R", False),
        ("open", "A", False),
        ("open", "D", False),
    ],  # fmt: skip
)
def test_aged_risk_only_counts_open_risks_and_issues(status: str, kind: str, fires: bool) -> None:
    data = program(raid=[risk("R-1", "2026-06-01 09:00", status=status, kind=kind)])
    assert ("raid.aged" in rule_ids(scan(data, NOW))) is fires


def test_aged_count_fires_above_the_tier_maximum_and_names_every_item() -> None:
    five = [risk(f"R-{i}", "2026-06-01 09:00") for i in range(5)]
    assert "raid.aged_count" not in rule_ids(scan(program(raid=five), NOW))
    six = [*five, risk("R-9", "2026-06-01 09:00")]
    result = scan(program(raid=six), NOW)
    (count,) = findings_of(result, "raid.aged_count")
    assert count.severity == Severity.ERROR and len(count.subjects) == 6
    assert kpi(result, "aged_risks").status == KpiStatus.BREACH


def test_override_beats_tier_default_and_unknown_override_is_reported() -> None:
    data = program(raid=[risk("R-1", "2026-10-01 09:00")], thresholds={"aged_risk_days": 60, "agd_risk": 3})
    result = scan(data, NOW)
    assert "raid.aged" not in rule_ids(result)
    (unknown,) = findings_of(result, "config.unknown_threshold")
    assert unknown.values["key"] == "agd_risk"
    limits, bad = thresholds_for(data.program)
    assert limits.aged_risk_days == 60 and bad == ["agd_risk"]
    assert limits.owner_assign_hours == TIER_DEFAULTS[Tier.TIER_1].owner_assign_hours


def test_facts_hash_does_not_change_with_the_scan_time() -> None:
    data = program(raid=[risk("R-1", "2026-06-01 09:00")])
    today = findings_of(scan(data, NOW), "raid.aged")[0]
    tomorrow = findings_of(scan(data, NOW + timedelta(days=1)), "raid.aged")[0]
    assert today.facts_hash == tomorrow.facts_hash
    assert today.measures["age_days"] != tomorrow.measures["age_days"]
    progressed = program(raid=[risk("R-1", "2026-06-01 09:00", progress="2026-09-01 09:00")])
    assert findings_of(scan(progressed, NOW), "raid.aged")[0].facts_hash != today.facts_hash


# --- decision latency in business days ----------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "now", "fires", "days"),
    [
        ("2026-11-13 09:00", "2026-11-20 17:00", False, 5),  # Fri -> next Fri: 5 business days
        ("2026-11-12 09:00", "2026-11-20 17:00", True, 6),  # Thu -> next Fri: 6
        ("2026-11-13 09:00", "2026-11-22 12:00", False, 5),  # the weekend adds nothing
        ("2026-11-13 09:00", "2026-11-23 09:00", True, 6),  # Monday does
        ("2026-11-14 10:00", "2026-11-21 10:00", False, 5),  # asked on a Saturday
    ],
)
def test_decision_latency_counts_business_days(asked: str, now: str, fires: bool, days: int) -> None:
    data = program(decisions=[{"id": "D-1", "question": "Which vendor?", "requested_at": at(asked)}])
    result = scan(data, at(now))
    found = findings_of(result, "decision.latency")
    assert bool(found) is fires
    assert kpi(result, "decision_latency_days").value == days
    if found:
        assert found[0].measures["business_days"] == days


def test_decision_past_its_needed_by_date_is_an_error_and_decided_ones_do_not_fire() -> None:
    decisions = [
        {
            "id": "D-1",
            "question": "Go or no-go?",
            "requested_at": at("2026-10-01 09:00"),
            "needed_by": "2026-11-15",
        },
        {
            "id": "D-2",
            "question": "Old question",
            "requested_at": at("2026-10-01 09:00"),
            "status": "decided",
            "decided_at": at("2026-10-20 09:00"),
        },  # fmt: skip
        {"id": "D-3", "question": "Dropped", "requested_at": at("2026-10-01 09:00"), "status": "withdrawn"},
    ]
    result = scan(program(decisions=decisions), NOW)
    (late,) = findings_of(result, "decision.latency")
    assert late.subjects == ("decision:D-1",) and late.severity == Severity.ERROR


# --- time zones: "today" is the program's local day ---------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "now_utc", "overdue"),
    [
        ("America/Los_Angeles", "2026-11-21T06:30:00+00:00", False),  # still Nov 20 in LA
        ("America/Los_Angeles", "2026-11-21T08:30:00+00:00", True),  # Nov 21 in LA
        ("Asia/Tokyo", "2026-11-20T15:30:00+00:00", True),  # already Nov 21 in Tokyo
        ("Asia/Tokyo", "2026-11-20T14:30:00+00:00", False),  # 23:30 Nov 20 in Tokyo
    ],
)
def test_overdue_uses_the_program_local_date(timezone: str, now_utc: str, overdue: bool) -> None:
    data = program(timezone=timezone, milestones=[milestone("M-1", date(2026, 11, 20))])
    result = scan(data, datetime.fromisoformat(now_utc))
    assert ("milestone.overdue" in rule_ids(result)) is overdue


def test_scan_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        scan(program(), datetime(2026, 11, 20, 17, 0))


# --- milestones ---------------------------------------------------------------------------------


def test_slip_severity_depends_on_the_critical_path_and_done_milestones_do_not_slip() -> None:
    data = program(
        milestones=[
            milestone("M-1", date(2026, 12, 1), forecast_date=date(2026, 12, 8), critical_path=True),
            milestone("M-2", date(2026, 12, 1), forecast_date=date(2026, 12, 2)),
            milestone("M-3", date(2026, 12, 1), forecast_date=date(2026, 12, 1)),
            milestone(
                "M-4",
                date(2026, 11, 1),
                forecast_date=date(2026, 11, 9),
                status="done",
                completed_on=date(2026, 11, 9),
            ),  # fmt: skip
        ]
    )
    slipped = {f.subjects[0]: f for f in findings_of(scan(data, NOW), "milestone.slipped")}
    assert set(slipped) == {"milestone:M-1", "milestone:M-2"}
    assert slipped["milestone:M-1"].severity == Severity.ERROR
    assert slipped["milestone:M-2"].severity == Severity.WARNING
    assert slipped["milestone:M-1"].values["slip_days"] == 7


@pytest.mark.parametrize(
    ("completed", "on_time_rate", "status"),
    [
        ([date(2026, 11, 1)] * 10, 1.0, KpiStatus.OK),
        ([date(2026, 11, 1)] * 9 + [date(2026, 11, 3)], 0.9, KpiStatus.OK),  # exactly the tier-1 target
        ([date(2026, 11, 1)] * 8 + [date(2026, 11, 3)] * 2, 0.8, KpiStatus.BREACH),
        ([date(2026, 11, 1)] * 9 + [None], 0.9, KpiStatus.OK),  # an open milestone past target is a miss
    ],
)
def test_on_time_rate(completed: list[date | None], on_time_rate: float, status: KpiStatus) -> None:
    ms = [
        milestone(f"M-{i}", date(2026, 11, 1), status="done" if day else "in_progress", completed_on=day)
        for i, day in enumerate(completed)
    ]
    result = scan(program(milestones=ms), NOW)
    value = kpi(result, "milestone_on_time_rate")
    assert value.value == on_time_rate and value.status == status
    assert ("milestone.on_time_rate" in rule_ids(result)) is (status != KpiStatus.OK)


def test_forecast_accuracy_uses_the_forecast_that_stood_one_window_before_completion() -> None:
    history = [{"changed_on": date(2026, 9, 1), "forecast": date(2026, 10, 30)},
               {"changed_on": date(2026, 11, 10), "forecast": date(2026, 11, 18)}]  # fmt: skip
    late = milestone("M-1", date(2026, 10, 30), status="done", completed_on=date(2026, 11, 18),
                     forecast_history=history)  # fmt: skip
    close = milestone(
        "M-2", date(2026, 11, 2), status="done", completed_on=date(2026, 11, 6)
    )  # 4 days <= 4.2
    result = scan(program(milestones=[late, close]), NOW)
    (miss,) = findings_of(result, "milestone.forecast_miss")
    assert miss.subjects == ("milestone:M-1",) and miss.values["error_days"] == 19
    assert kpi(result, "forecast_accuracy").value == 0.5


def test_critical_path_churn_counts_re_forecasts_on_the_computed_path_this_period_against_the_last() -> None:
    def changes(*days: str, to: str = "2027-01-10") -> list[dict[str, Any]]:
        return [{"changed_on": d, "forecast": to} for d in days]

    # M-1 ends the plan, so it is on the computed critical path; M-2 lands weeks earlier with slack,
    # so its re-forecasts are not churn, flagged or not.
    rising = milestone(
        "M-1", date(2027, 1, 1), forecast_history=changes("2026-10-30", "2026-11-10", "2026-11-19")
    )
    off_path = milestone(
        "M-2",
        date(2027, 1, 1),
        critical_path=True,
        forecast_history=changes("2026-11-10", "2026-11-12", to="2026-12-10"),
    )
    result = scan(program(milestones=[rising, off_path]), NOW)
    (churn,) = findings_of(result, "milestone.critical_path_churn")
    assert churn.values["this_period"] == 2 and churn.values["previous_period"] == 1
    assert churn.subjects == ("milestone:M-1",)
    settling = milestone(
        "M-1", date(2027, 1, 1), forecast_history=changes("2026-10-30", "2026-11-01", "2026-11-19")
    )
    assert "milestone.critical_path_churn" not in rule_ids(scan(program(milestones=[settling]), NOW))


# --- dependencies -------------------------------------------------------------------------------


def dep(did: str, due: str, status: str = "in_progress", delivered: str | None = None) -> dict[str, Any]:
    return {"id": did, "deliverable": f"Thing {did}", "provider_team": "core", "consumer_team": "edge",
            "due_date": due, "status": status, "delivered_on": delivered}  # fmt: skip


@pytest.mark.parametrize(
    ("record", "rule", "severity"),
    [
        (dep("D-1", "2026-11-19"), "dependency.overdue", Severity.ERROR),
        (dep("D-1", "2026-11-20"), None, None),  # due today is not overdue yet
        (dep("D-1", "2026-12-04", "at_risk"), "dependency.at_risk", Severity.WARNING),  # day 14 of the window
        (dep("D-1", "2026-12-05", "at_risk"), None, None),  # day 15: outside
        (dep("D-1", "2026-11-25", "blocked"), "dependency.at_risk", Severity.ERROR),
        (dep("D-1", "2026-11-01", "delivered", "2026-11-03"), None, None),
    ],
)
def test_dependency_overdue_and_at_risk(
    record: dict[str, Any], rule: str | None, severity: Severity | None
) -> None:
    result = scan(program(dependencies=[record]), NOW)
    found = [f for f in result.findings if f.rule_id in ("dependency.overdue", "dependency.at_risk")]
    if rule is None:
        assert found == []
    else:
        assert [(f.rule_id, f.severity) for f in found] == [(rule, severity)]


def test_dependency_closure_rate_counts_late_deliveries_as_misses() -> None:
    deps = [dep(f"D-{i}", "2026-11-01", "delivered", "2026-11-01") for i in range(5)]
    deps.append(dep("D-9", "2026-11-01", "delivered", "2026-11-04"))
    result = scan(program(dependencies=deps), NOW)
    rate = kpi(result, "dependency_closure_rate")
    assert (rate.numerator, rate.denominator) == (5, 6)
    assert findings_of(result, "dependency.closure_rate")[0].subjects == ("dependency:D-9",)


# --- issue owners, scope, readiness, corrective actions, incidents, actions ---------------------


def test_issue_owner_unassigned_and_slow() -> None:
    raid = [
        risk("I-1", "2026-11-19 16:00", kind="I", owner=None),  # 25 h without an owner
        risk("I-2", "2026-11-19 18:00", kind="I", owner=None),  # 23 h: not yet
        risk("I-3", "2026-11-10 09:00", kind="I", owner_assigned_at=at("2026-11-12 09:00")),  # 48 h
        risk("I-4", "2026-11-10 09:00", kind="I", owner_assigned_at=at("2026-11-10 12:00")),
    ]
    result = scan(program(raid=raid), NOW)
    assert [f.subjects for f in findings_of(result, "raid.owner_unassigned")] == [("raid:I-1",)]
    assert [f.subjects for f in findings_of(result, "raid.owner_assign_slow")] == [("raid:I-3",)]
    assert kpi(result, "issue_owner_assign_hours").value == 24.0  # median of 25, 23, 48, 3


def test_scope_quantified_share() -> None:
    crs = [{"id": f"CR-{i}", "title": "Change", "requested_at": at("2026-11-10 09:00"),
            "impact_days": 3 if i < 4 else None} for i in range(5)]  # fmt: skip
    result = scan(program(change_requests=crs), NOW)
    assert kpi(result, "scope_quantified_share").value == 0.8
    assert "scope.unquantified" not in rule_ids(result)
    assert kpi(result, "scope_change_rate").value == 5


@pytest.mark.parametrize(
    ("gate", "fires"), [("2026-12-04", True), ("2026-12-05", False), ("2026-11-20", True)]
)
def test_readiness_fires_inside_the_window_before_the_gate(gate: str, fires: bool) -> None:
    items = [{"id": f"RD-{i}", "release": "M-1", "item": "Check", "gate_date": gate, "done": i < 18}
             for i in range(20)]  # fmt: skip
    result = scan(program(milestones=[milestone("M-1", date(2026, 12, 10))], readiness=items), NOW)
    assert ("readiness.behind" in rule_ids(result)) is fires
    assert kpi(result, "readiness_completion").value == 0.9


def test_corrective_actions_and_sev1_release_incidents() -> None:
    cas = [
        {"id": "CA-1", "title": "Fix", "due": "2026-11-10", "done_on": "2026-11-09"},
        {"id": "CA-2", "title": "Fix", "due": "2026-11-10", "done_on": "2026-11-12"},
        {"id": "CA-3", "title": "Fix", "due": "2026-11-10", "incident": "INC-1"},
        {"id": "CA-4", "title": "Fix", "due": "2026-12-10"},
    ]
    incidents = [
        {
            "id": "INC-1",
            "title": "Outage",
            "severity": 1,
            "started_at": at("2026-11-01 10:00"),
            "release": "M-1",
        },
        {
            "id": "INC-2",
            "title": "Blip",
            "severity": 2,
            "started_at": at("2026-11-02 10:00"),
            "release": "M-1",
        },
        {"id": "INC-3", "title": "Unrelated", "severity": 1, "started_at": at("2026-11-03 10:00")},
    ]
    result = scan(program(milestones=[milestone("M-1", date(2026, 10, 30))], corrective_actions=cas,
                          incidents=incidents), NOW)  # fmt: skip
    assert [f.subjects[0] for f in findings_of(result, "corrective.overdue")] == ["corrective:CA-3"]
    assert kpi(result, "corrective_on_time_rate").value == pytest.approx(1 / 3, abs=1e-3)
    (sev1,) = findings_of(result, "incident.sev1_release")
    assert sev1.subjects == ("incident:INC-1", "milestone:M-1")
    assert kpi(result, "sev1_release_incidents").status == KpiStatus.BREACH


def test_action_items_overdue_and_unowned() -> None:
    actions = [
        {
            "id": "A-1",
            "task": "Write plan",
            "owner": "ana",
            "due": "2026-11-19",
            "created_at": at("2026-11-01 09:00"),
        },
        {"id": "A-2", "task": "Book slot", "due": "2026-11-20", "created_at": at("2026-11-01 09:00")},
        {
            "id": "A-3",
            "task": "Done thing",
            "due": "2026-11-01",
            "status": "done",
            "created_at": at("2026-11-01 09:00"),
        },
    ]
    result = scan(program(action_items=actions), NOW)
    assert [f.subjects for f in findings_of(result, "action.overdue")] == [("action:A-1",)]
    assert [f.subjects for f in findings_of(result, "action.unowned")] == [("action:A-2",)]


def test_empty_program_has_no_findings_and_kpis_say_no_data() -> None:
    result = scan(program(), NOW)
    assert result.findings == []
    assert {k.kpi_id for k in result.kpis} == {k for spec in DETECTORS.values() for k in spec.kpi_ids}
    assert kpi(result, "milestone_on_time_rate").status == KpiStatus.NO_DATA


def test_every_finding_names_records_and_registered_rule_ids() -> None:
    from pilot.connectors.program_file import parse_program_yaml
    from pilot.sample import SAMPLE_NOW, sample_program_path

    data = parse_program_yaml(sample_program_path().read_bytes())
    result = scan(data, SAMPLE_NOW)
    declared = {r for spec in DETECTORS.values() for r in spec.rule_ids}
    assert {f.rule_id for f in result.findings} <= declared
    assert all(f.subjects for f in result.findings)
    assert scan(data, SAMPLE_NOW) == result  # pure: same input, same output
    assert LA.key == data.program.timezone


@pytest.mark.parametrize(
    ("quantified", "total", "fires"),
    [(4, 5, False), (3, 5, True), (0, 1, True), (1, 1, False)],  # 0.80 exactly is on target
)
def test_scope_unquantified_at_and_around_the_target(quantified: int, total: int, fires: bool) -> None:
    crs = [{"id": f"CR-{i}", "title": "Change", "requested_at": at("2026-10-01 09:00"),
            "impact_days": 2 if i < quantified else None} for i in range(total)]  # fmt: skip
    result = scan(program(change_requests=crs), NOW)
    assert ("scope.unquantified" in rule_ids(result)) is fires
    assert kpi(result, "scope_change_rate").value == 0  # all requested outside the period


@pytest.mark.parametrize(
    ("on_time", "late", "fires"),
    [(9, 1, False), (8, 1, True), (0, 0, False)],  # 0.90 exactly is on target; nothing due is no data
)
def test_corrective_closure_rate_at_and_around_the_target(on_time: int, late: int, fires: bool) -> None:
    cas = [
        {"id": f"CA-{i}", "title": "Fix", "due": "2026-11-10", "done_on": "2026-11-10"}
        for i in range(on_time)
    ]
    cas += [
        {"id": f"CL-{i}", "title": "Fix", "due": "2026-11-10", "done_on": "2026-11-11"} for i in range(late)
    ]
    result = scan(program(corrective_actions=cas), NOW)
    assert ("corrective.closure_rate" in rule_ids(result)) is fires
    assert "corrective.overdue" not in rule_ids(result)  # late but done is not overdue
