"""Tickets as forecasts read them (Jira API and CSV, GitHub), linking them to milestones, and the
forecast's fallbacks and reproducibility."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from pilot.connectors.files import read_path
from pilot.connectors.github import issue_document as github_document
from pilot.connectors.jira import import_jira_csv
from pilot.domain.program import Milestone
from pilot.domain.schedule import WorkItem, WorkState
from pilot.pipeline.schedule import work_items
from pilot.rules.forecast import forecast_program, linked_items, ticket_history
from pilot.rules.schedule_graph import build_plan
from pilot.sample import SAMPLE_TIMEZONE, tickets_dir

from .plans import AS_OF, ms, plan

LA = "America/Los_Angeles"


def test_jira_tickets_keep_their_resolution_day_in_the_program_zone_and_epics_are_containers() -> None:
    docs = read_path(tickets_dir() / "jira_search_page2.json", "p1", tz=SAMPLE_TIMEZONE).documents
    items = {i.key: i for i in work_items(docs, LA)}
    assert items["PAY-1421"].state == WorkState.DONE and items["PAY-1421"].closed == date(2026, 11, 18)
    assert items["PAY-1421"].parent == "PAY-1100" and items["PAY-1421"].created == date(2026, 11, 6)
    assert items["PAY-1433"].state == WorkState.OPEN and items["PAY-1433"].closed is None
    assert items["PAY-1100"].container and not items["PAY-1421"].container


def test_a_jira_csv_export_gives_the_same_states_as_the_api() -> None:
    raw = (tickets_dir() / "jira_export.csv").read_bytes().decode("utf-8-sig")
    csv_items = {i.key: i for i in work_items(import_jira_csv(raw, "p1", tz=SAMPLE_TIMEZONE).documents, LA)}
    api_docs = [
        d for n in (1, 2) for d in read_path(tickets_dir() / f"jira_search_page{n}.json", "p1").documents
    ]
    api_items = {i.key: i for i in work_items(api_docs, LA)}
    assert {k: (i.state, i.closed, i.parent) for k, i in csv_items.items()} == {
        k: (i.state, i.closed, i.parent) for k, i in api_items.items()
    }


def test_github_closed_issues_count_and_not_planned_ones_are_dropped() -> None:
    raw = {
        "number": 7,
        "title": "Thing",
        "state": "closed",
        "state_reason": "not_planned",
        "labels": [],
        "created_at": "2026-10-01T17:00:00Z",
        "closed_at": "2026-10-03T07:30:00Z",
        "milestone": {"title": "v3"},
    }
    dropped = work_items([github_document(raw, "p1", "acme/sdk")], LA)[0]
    assert dropped.state == WorkState.DROPPED and dropped.milestone == "v3"
    done = work_items([github_document(raw | {"state_reason": "completed"}, "p1", "acme/sdk")], LA)[0]
    assert done.state == WorkState.DONE and done.closed == date(2026, 10, 3)  # 00:30 in Los Angeles
    assert work_items([github_document(raw | {"pull_request": {}}, "p1", "acme/sdk")], LA) == []


def item(key: str, created: date, closed: date | None = None, **fields: object) -> WorkItem:
    state = WorkState.DONE if closed else WorkState.OPEN
    return WorkItem(key=key, source="jira", state=state, created=created, closed=closed, **fields)  # type: ignore[arg-type]


def test_selectors_link_an_epic_with_its_children_labels_and_github_milestones() -> None:
    items = [
        item("E-1", date(2026, 9, 1), container=True),
        item("S-1", date(2026, 9, 2), parent="E-1"),
        item("T-1", date(2026, 9, 3), parent="S-1"),
        item("S-2", date(2026, 9, 2), labels=["wave-1"]),
        item("G-1", date(2026, 9, 2), milestone="SDK v3.0"),
        item("X-1", date(2026, 9, 2)),
    ]

    def keys(*selectors: str) -> list[str]:
        m = Milestone(id="M-1", name="M", target_date=date(2026, 12, 1), tickets=list(selectors))
        return [i.key for i in linked_items(m, items)]

    assert keys("E-1") == ["E-1", "S-1", "T-1"]
    assert keys("E-9") == []
    assert keys("label:wave-1", "milestone:SDK v3.0") == ["G-1", "S-2"]


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([], "no linked tickets"),
        (
            [item("A", AS_OF - timedelta(days=10), AS_OF - timedelta(days=2))],
            "1 weeks of ticket history (3 needed)",
        ),
        (
            [item("A", AS_OF - timedelta(weeks=8)), item("B", AS_OF - timedelta(weeks=8))],
            "no linked ticket closed in the last 8 weeks",
        ),
    ],
)
def test_without_enough_ticket_history_the_forecast_says_why(items: list[WorkItem], reason: str) -> None:
    assert ticket_history(items, AS_OF) == reason


def test_forecasts_fall_back_to_the_entered_date_and_are_reproducible_with_a_seed() -> None:
    rng = np.random.default_rng(5)
    start = AS_OF - timedelta(weeks=10)
    tickets = [
        item(f"T-{n}", start, start + timedelta(days=int(d)), parent="E-1")
        for n, d in enumerate(rng.integers(1, 70, 30))
    ]
    tickets += [item(f"O-{n}", start, parent="E-1") for n in range(12)]
    data = plan([ms("M-1", tickets=["E-1"], target=date(2026, 12, 18)), ms("M-2", days=3, after=("M-1",))])
    plan_now = build_plan(data, AS_OF)
    first = forecast_program(plan_now, tickets, seed=7, trials=4000)
    again = forecast_program(plan_now, tickets, seed=7, trials=4000)
    assert first.forecasts == again.forecasts
    by_id = {f.milestone_id: f for f in first.forecasts}
    m1, m2 = by_id["M-1"], by_id["M-2"]
    assert m1.basis == "tickets" and m1.open_items == 12 and m1.closed_items == 30
    assert m1.p50 is not None and m1.p85 is not None and AS_OF < m1.p50 <= m1.p85
    assert 0 <= (m1.probability_on_target or 0) <= 1 and m1.drivers[0].kind == "throughput"
    assert m2.basis == "entered" and m2.reason == "no linked tickets: the entered forecast stands"
    # M-2 waits for M-1: its simulated finish is M-1's plus its own 3 business days
    node = plan_now.structure.index["M-2"]
    assert (first.samples[node] - first.samples[plan_now.structure.index["M-1"]] == 3).all()
