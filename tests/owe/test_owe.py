"""What I owe / what I'm owed: every person of the sample program against an independent pass over
the program file; the two "owed" links, table-driven; person look-up; the digest in three formats;
the CLI, the API and the pages."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pilot.api.app import create_app
from pilot.chains.owe_digest import render_digest
from pilot.cli.main import build_app
from pilot.domain.auth import Role
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.access import issue_token
from pilot.pipeline.context import Pilot, fixed_clock
from pilot.pipeline.owe import everyone, person_report
from pilot.pipeline.programs import import_program_file
from pilot.rules.owe import find_person, owe_report
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from tests.rules.builders import at, milestone, program

P = SAMPLE_PROGRAM_ID


def open_records_owned_in_the_file(raw: dict[str, Any]) -> dict[str, set[str]]:
    """Straight from the YAML, written apart from pilot.rules.owe: person id -> open records."""
    owned: dict[str, set[str]] = {p["id"]: set() for p in raw["people"]}

    def add(owner: str | None, ref: str) -> None:
        if owner:
            owned[owner].add(ref)

    for a in raw["action_items"]:
        if a.get("status", "open") == "open":
            add(a.get("owner"), f"action:{a['id']}")
    for d in raw["decisions"]:
        if d.get("status", "pending") == "pending":
            add(d.get("decider"), f"decision:{d['id']}")
    for r in raw["raid"]:
        if r.get("status", "open") in ("open", "mitigating"):
            add(r.get("owner"), f"raid:{r['id']}")
    for d in raw["dependencies"]:
        if d.get("status", "planned") not in ("delivered", "cancelled"):
            add(d.get("owner"), f"dependency:{d['id']}")
    for m in raw["milestones"]:
        if m.get("status", "planned") not in ("done", "cancelled"):
            add(m.get("owner"), f"milestone:{m['id']}")
    for item in raw["readiness"]:
        if not item.get("done", False):
            add(item.get("owner"), f"readiness:{item['id']}")
    for c in raw["corrective_actions"]:
        if c.get("done_on") is None:
            add(c.get("owner"), f"corrective:{c['id']}")
    return owned


@pytest.fixture
def sample(pilot_ctx: Pilot) -> Pilot:
    import_program_file(pilot_ctx, sample_program_path())
    return pilot_ctx


def test_what_each_person_owes_is_the_open_records_they_own(sample: Pilot) -> None:
    raw = yaml.safe_load(sample_program_path().read_text(encoding="utf-8"))
    expected = open_records_owned_in_the_file(raw)
    reports = {r.person_id: r for r in everyone(sample, P, now=SAMPLE_NOW)}
    assert set(reports) == set(expected) and len(reports) == 26
    for person_id, refs in expected.items():
        assert {i.ref for i in reports[person_id].owes} == refs, person_id
    # The sample spreads work: most people owe something, and the totals add up.
    assert sum(len(r.owes) for r in reports.values()) == sum(len(v) for v in expected.values()) == 68
    assert sum(1 for v in expected.values() if v) >= 20


def test_ages_due_dates_and_order(sample: Pilot) -> None:
    report = person_report(sample, P, "Nora", now=SAMPLE_NOW)
    by_id = {i.record_id: i for i in report.owes}
    assert by_id["AI-04"].due == date(2026, 11, 19) and by_id["AI-04"].days_left == -1
    assert by_id["AI-04"].age_days == 7 and by_id["AI-04"].overdue
    assert by_id["DEP-10"].days_left == -10 and by_id["R-001"].due is None and by_id["R-001"].age_days == 79
    assert by_id["M-08"].due_label == "forecast" and by_id["RD-03"].due_label == "gate"
    # Most overdue first, then by date, undated last (oldest first).
    assert [i.record_id for i in report.owes] == ["DEP-10", "M-08", "AI-04", "RD-03", "R-001", "I-001"]


def test_what_priya_is_owed_on_her_milestones_and_by_providers_to_her_team(sample: Pilot) -> None:
    report = person_report(sample, P, "priya.raman@acmepay.example", now=SAMPLE_NOW)
    owed = {i.record_id: i for i in report.owed}
    assert owed["AI-10"].owner is None and "M-11" in (owed["AI-10"].why or "")  # unowned, on her milestone
    assert owed["DEC-07"].owner == "robert.hayes"
    assert owed["DEP-15"].why == "your team payments-core consumes it; on your milestone M-11"
    assert "RD-01" in owed and "AI-14" in owed  # readiness of her release; an action on M-12
    assert not {i.record_id for i in report.owed} & {i.record_id for i in report.owes}
    assert all(i.owner != "priya.raman" for i in report.owed)


ACTION = {
    "id": "A1",
    "task": "Book the slot",
    "owner": "bob",
    "milestone": "M-1",
    "created_at": "2026-11-10T09:00:00-08:00",
}
DEPENDENCY = {
    "id": "D1",
    "deliverable": "API",
    "provider_team": "edge",
    "consumer_team": "core",
    "owner": "alex.r",
    "due_date": "2026-11-25",
}
OWED_CASES = [
    # (case, action items, dependencies, who asks, expected owed ids)
    ("an action on ana's milestone, owned by bob", [ACTION], [], "ana", {"A1"}),
    ("the same action seen by bob, its owner", [ACTION], [], "bob", set()),
    ("an action on a milestone bob owns is not ana's", [{**ACTION, "milestone": "M-2"}], [], "ana", set()),
    ("an unowned action on ana's milestone", [{**ACTION, "owner": None}], [], "ana", {"A1"}),
    ("a dependency ana's team core consumes", [], [DEPENDENCY], "ana", {"D1"}),
    ("the same dependency for alex.k, also on core", [], [DEPENDENCY], "alex.k", {"D1"}),
    ("edge provides it: alex.r owes it, is not owed it", [], [DEPENDENCY], "alex.r", set()),
    (
        "a delivered dependency is owed by nobody",
        [],
        [{**DEPENDENCY, "status": "delivered", "delivered_on": "2026-11-20"}],
        "ana",
        set(),
    ),
]


@pytest.mark.parametrize(
    ("case", "actions", "deps", "person", "expected"), OWED_CASES, ids=[c[0] for c in OWED_CASES]
)
def test_owed_links(case: str, actions: list[Any], deps: list[Any], person: str, expected: set[str]) -> None:
    data = program(
        milestones=[
            milestone("M-1", date(2026, 12, 1), owner="ana"),
            milestone("M-2", date(2026, 12, 1), owner="bob"),
        ],
        action_items=actions,
        dependencies=deps,
    )
    report = owe_report(data, find_person(data, person), at("2026-11-20 17:00"))
    assert {i.record_id for i in report.owed} == expected, case


def test_closed_records_are_owed_by_nobody() -> None:
    data = program(
        action_items=[
            {
                "id": "A1",
                "task": "x",
                "owner": "ana",
                "status": "done",
                "created_at": at("2026-11-01 09:00"),
                "completed_at": at("2026-11-02 09:00"),
            }
        ],
        raid=[
            {
                "id": "R1",
                "kind": "R",
                "title": "y",
                "owner": "ana",
                "status": "accepted",
                "opened_at": at("2026-10-01 09:00"),
            }
        ],
        readiness=[
            {
                "id": "RD1",
                "release": "M-1",
                "item": "z",
                "owner": "ana",
                "gate_date": date(2026, 12, 1),
                "done": True,
            }
        ],
        milestones=[milestone("M-1", date(2026, 12, 1), owner="bob")],
    )
    assert owe_report(data, find_person(data, "ana"), at("2026-11-20 17:00")).owes == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ana", "ana"),
        ("Annie", "ana"),
        ("ana@example.com", "ana"),
        ("Robert Hayes", "bob"),
        ("@Bob", "bob"),
        ("Sasha", "alex.r"),
    ],
)
def test_a_person_is_found_by_id_alias_email_or_name(text: str, found: str) -> None:
    assert find_person(program(), text).id == found


@pytest.mark.parametrize(("text", "code"), [("Alex", ErrorCode.INVALID_INPUT), ("Zed", ErrorCode.NOT_FOUND)])
def test_an_ambiguous_or_unknown_person_is_refused(text: str, code: ErrorCode) -> None:
    with pytest.raises(PilotError) as raised:
        find_person(program(), text)
    assert raised.value.code == code
    if code == ErrorCode.INVALID_INPUT:
        assert "alex.k" in raised.value.message and "alex.r" in raised.value.message


def test_the_digest_in_three_formats_escapes_what_it_quotes() -> None:
    data = program(
        action_items=[
            {
                "id": "A1",
                "task": "Fix <script>alert(1)</script> & co",
                "owner": "ana",
                "due": date(2026, 11, 18),
                "created_at": at("2026-11-10 09:00"),
            },
            {
                "id": "A2",
                "task": "Write the plan",
                "owner": "ana",
                "due": date(2026, 11, 23),
                "created_at": at("2026-11-19 09:00"),
            },
        ],
    )
    report = owe_report(data, find_person(data, "ana"), at("2026-11-20 17:00"))
    md = render_digest(report, "md")
    assert "## You owe (2, 1 overdue)" in md and "### Overdue" in md and "### Due this week" in md
    assert "due 2026-11-18, 2 days overdue; open 10 days" in md and "in 3 days; open 1 day)" in md
    html = render_digest(report, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html and html.startswith("<div")
    slack = render_digest(report, "slack")
    assert "<script>" not in slack and "&lt;/script&gt; &amp; co" in slack and "• *A1*" in slack


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("PILOT_DATA_DIR", str(tmp_path / "cli"))
    runner = CliRunner()
    assert runner.invoke(build_app(), ["program", "import", str(sample_program_path())]).exit_code == 0
    return runner


NOW_ARG = ["--now", SAMPLE_NOW.isoformat()]


def test_cli_owe_json_digest_and_errors(cli: CliRunner) -> None:
    result = cli.invoke(build_app(), ["owe", "-p", P, "--person", "Kate", "--json", *NOW_ARG])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["person_id"] == "katherine.lindqvist" and [i["record_id"] for i in body["owes"]] == [
        "CA-06",
        "I-006",
    ]
    slack = cli.invoke(
        build_app(), ["owe", "-p", P, "--person", "Kate", "--digest", "--format", "slack", *NOW_ARG]
    )
    assert slack.exit_code == 0 and slack.stdout.startswith("*Katherine Lindqvist: what you owe")
    everyone_md = cli.invoke(build_app(), ["owe", "-p", P, "--digest", *NOW_ARG])
    assert everyone_md.stdout.count("what you owe and what you are owed") == 24  # 26 people, 2 with nothing
    overview = cli.invoke(build_app(), ["owe", "-p", P, *NOW_ARG], env={"COLUMNS": "80"})
    assert overview.exit_code == 0 and "Nora Fischer" in overview.stdout
    assert max(len(line) for line in overview.stdout.splitlines()) <= 80
    ambiguous = cli.invoke(build_app(), ["owe", "-p", P, "--person", "Alex", *NOW_ARG])
    assert ambiguous.exit_code == 2 and "alex.kim" in ambiguous.output
    bad = cli.invoke(
        build_app(), ["owe", "-p", P, "--person", "Nora", "--digest", "--format", "pdf", *NOW_ARG]
    )
    assert bad.exit_code == 2 and "md, html, slack" in bad.output


@pytest.fixture
def site(sample: Pilot) -> tuple[TestClient, dict[str, str]]:
    sample.clock = fixed_clock(SAMPLE_NOW)
    viewer = issue_token(sample, user_id="viewer", role=Role.VIEWER, program_id=P)
    return TestClient(create_app(context=sample), follow_redirects=False), {"viewer": viewer}


def test_api_and_pages(site: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = site
    headers = {"Authorization": f"Bearer {tokens['viewer']}"}
    with client:
        report = client.get(f"/programs/{P}/people/nora.fischer/owe", headers=headers).json()
        assert [i["record_id"] for i in report["owes"]][:3] == ["DEP-10", "M-08", "AI-04"]
        assert client.get(f"/programs/{P}/people/Alex/owe", headers=headers).status_code == 422
        assert client.get(f"/programs/{P}/people/nobody/owe", headers=headers).status_code == 404
        people = client.get(f"/programs/{P}/people", headers=headers).json()
        assert [p["name"] for p in people] == sorted(p["name"] for p in people)
        html = client.get(f"/programs/{P}/people/Nora/digest?format=html", headers=headers)
        assert html.headers["content-type"].startswith("text/html") and "AI-04" in html.text
        client.post("/login", data={"token": tokens["viewer"], "next": "/"})
        page = client.get(f"/p/{P}/people/nora.fischer/owe")
        assert page.status_code == 200 and "What I owe" in page.text and "DEP-10" in page.text
        download = client.get(f"/p/{P}/people/nora.fischer/digest.slack")
        assert "attachment" in download.headers["content-disposition"] and "*DEP-10*" in download.text
        assert "nora.fischer/owe" in client.get(f"/p/{P}/people").text
