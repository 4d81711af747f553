"""Plan import checks, the what-if recogniser, the schedule detectors on small plans, and the
sample backtest."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pilot.connectors.program_file import parse_program_yaml
from pilot.domain.errors import PilotError
from pilot.rules.detectors import scan
from pilot.rules.whatif import WhatIf, parse_what_if

from .plans import dep, ms, plan

NOW = datetime.fromisoformat("2026-11-20T17:00:00-08:00")

HEAD = """program: {id: p1, name: Plan, timezone: America/Los_Angeles}
teams: [{id: core, name: Core}, {id: edge, name: Edge}]
"""


def problems(body: str) -> list[str]:
    with pytest.raises(PilotError) as raised:
        parse_program_yaml((HEAD + body).encode())
    return [f"{p['path']}: {p['message']}" for p in raised.value.details]


def test_a_cycle_in_the_plan_is_an_import_error_naming_its_records() -> None:
    found = problems(
        """milestones:
  - {id: M-1, name: One, target_date: 2026-12-01, depends_on: [M-3]}
  - {id: M-2, name: Two, target_date: 2026-12-01}
  - {id: M-3, name: Three, target_date: 2026-12-01, depends_on: [DEP-1]}
dependencies:
  - {id: DEP-1, deliverable: Thing, provider_team: core, consumer_team: edge, due_date: 2026-11-30, milestone: M-2, depends_on: [M-1]}
  - {id: DEP-2, deliverable: Other, provider_team: core, consumer_team: edge, due_date: 2026-11-30, milestone: M-9}
"""
    )
    (cycle,) = [p for p in found if "cycle" in p]
    assert (
        cycle
        == "milestones[0].depends_on: the plan has a cycle: M-1 -> M-3 -> DEP-1 -> M-1 (each waits for the next)"
    )
    assert any("unknown milestone 'M-9'" in p for p in found)
    # and without the link that closes it, the same plan imports
    fixed = HEAD + "milestones:\n  - {id: M-1, name: One, target_date: 2026-12-01, depends_on: [M-3]}\n"
    fixed += "  - {id: M-3, name: Three, target_date: 2026-12-01}\n"
    assert parse_program_yaml(fixed.encode()).milestones[0].depends_on == ["M-3"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  - {id: M-1, name: One, target_date: 2026-12-01, depends_on: [M-1]}\n", "cannot depend on itself"),
        (
            "  - {id: M-1, name: One, target_date: 2026-12-01, depends_on: [X-7]}\n",
            "unknown milestone or dependency 'X-7'",
        ),
        (
            "  - {id: M-1, name: One, target_date: 2026-12-01, duration_days: -2}\n",
            "greater than or equal to 0",
        ),
    ],
)
def test_plan_links_must_name_known_records(body: str, message: str) -> None:
    assert any(message in p for p in problems("milestones:\n" + body))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what if DEP-4 slips a week?", WhatIf("DEP-04", slip_days=5)),
        ("What happens if dep-04 slips 3 days", WhatIf("DEP-04", slip_days=3)),
        ("what if M-7 is two weeks late?", WhatIf("M-07", slip_days=10)),
        ("if M-07 slips by 4 business days, what moves?", WhatIf("M-07", slip_days=4)),
        ("suppose M-7 pulls in 2 days", WhatIf("M-07", slip_days=-2)),
        ("what if M-7 moves to 2026-12-18?", WhatIf("M-07", new_date=date(2026, 12, 18))),
        ("what if M-8 slips a week?", None),  # no such record
        ("is DEP-04 going to slip a week?", None),  # no what-if cue
        ("what if DEP-04 is blocked?", None),  # no amount
    ],
)
def test_what_if_recogniser(question: str, expected: WhatIf | None) -> None:
    assert parse_what_if(question, ["DEP-04", "M-07", "M-11"]) == expected


def rules(data) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[str]] = {}
    for f in scan(data, NOW).findings:
        if f.rule_id.startswith("schedule."):
            out.setdefault(f.rule_id, []).extend(f.subjects)
    return out


def test_the_critical_path_flag_is_checked_against_the_computed_path() -> None:
    data = plan(
        [
            ms("M-1", days=10, critical_path=True, target=date(2026, 12, 31)),  # 2 weeks of slack before M-3
            ms("M-2", days=20, target=date(2026, 12, 31)),  # drives M-3, not flagged
            ms("M-3", days=5, after=("M-1", "M-2"), critical_path=True, target=date(2026, 12, 28)),
        ]
    )
    found = rules(data)
    assert found["schedule.critical_flag_slack"] == ["milestone:M-1"]
    assert found["schedule.critical_unflagged"] == ["milestone:M-2"]
    # M-3 finishes 25 business days out (2026-12-25) with its target 1 business day later
    assert found["schedule.critical_no_slack"] == ["milestone:M-3"]


def test_a_plan_graph_that_contradicts_the_entered_forecast_is_a_hidden_slip() -> None:
    data = plan(
        [ms("M-1", forecast_date=date(2026, 12, 1), target=date(2026, 12, 1))],
        [dep("DEP-1", days=15, feeds="M-1")],
    )
    (finding,) = [f for f in scan(data, NOW).findings if f.rule_id == "schedule.critical_no_slack"]
    assert finding.severity.value == "error" and "although its forecast is 2026-12-01" in finding.message


def test_the_sample_backtest_scores_every_weekly_forecast_of_done_milestones() -> None:
    from pilot.evals.forecast import run_forecast_backtest

    report = run_forecast_backtest()
    assert {r["milestone"] for r in report["rows"]} == {"M-06", "M-07"}
    assert report["forecasts"] == len(report["rows"]) >= 10
    assert all(r["p50"] <= r["p85"] for r in report["rows"])
    assert 0 <= report["within_p85_share"] <= 1 and report["p50_mean_abs_error_business_days"] is not None
