"""The plan page (SVG, critical path, forecasts, what-if on a copy), what-if answers, and the
pipeline reading the program's tickets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilot.api.app import create_app
from pilot.connectors.files import read_path
from pilot.domain.auth import Role
from pilot.pipeline.access import issue_token
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import export_program, get_program, import_program_file
from pilot.pipeline.schedule import program_schedule
from pilot.pipeline.whatif import answer_what_if, what_if_answer
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, SAMPLE_TIMEZONE, sample_program_path, tickets_dir
from pilot.settings import Settings
from pilot.store.documents import upsert_document

P = SAMPLE_PROGRAM_ID


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[Pilot]:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'plan.db'}")
    pilot = open_pilot(settings, actor="setup", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(pilot, sample_program_path())
    with pilot.db.transaction() as session:  # the tickets, stored as ingest stores them (no index needed)
        for path in sorted(tickets_dir().glob("*.json")):
            for doc in read_path(path, P, tz=SAMPLE_TIMEZONE).documents:
                upsert_document(session, doc, SAMPLE_NOW)
    yield pilot
    pilot.close()


@pytest.fixture
def client(sample: Pilot) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tokens = {r.value: issue_token(sample, user_id=f"{r.value}-user", role=r, program_id=P) for r in Role}
    with TestClient(create_app(context=sample), follow_redirects=False) as client:
        yield client, tokens


def login(client: TestClient, token: str) -> None:
    assert client.post("/login", data={"token": token, "next": "/"}).status_code == 303


def test_the_plan_page_draws_the_graph_with_the_critical_path_and_forecasts(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    web, tokens = client
    login(web, tokens["viewer"])
    page = web.get(f"/p/{P}/plan")
    assert page.status_code == 200
    html = page.text
    assert '<svg class="plan"' in html and f'href="/p/{P}/plan"' in html  # drawn, and linked from the nav
    path = re.findall(r'<code class="crit">([^<]+)</code>', html)
    assert path == ["DEP-12", "M-09", "DEP-16", "M-11", "DEP-17", "M-12", "M-13", "M-14"]
    critical_bars = set(re.findall(r'<g class="node critical" data-id="([^"]+)"', html))
    assert critical_bars == set(path)
    assert '<g class="node" data-id="M-10"' in html and "6 days slack" in html
    assert re.search(r"M-11</code></a> Cutover wave 1.*?<td>2026-12-1\d</td><td>2026-12-2\d</td>", html, re.S)
    assert "no linked tickets: the entered forecast stands" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from a CDN


def test_a_what_if_on_the_page_changes_nothing(
    client: tuple[TestClient, dict[str, str]], sample: Pilot
) -> None:
    web, tokens = client
    login(web, tokens["viewer"])
    before = export_program(sample, P)
    html = web.get(f"/p/{P}/plan", params={"slip": "DEP-12", "days": 5}).text
    assert "DEP-12 slips 5 business days -&gt; M-09 slips 5 -&gt; DEP-16 slips 5 -&gt; M-11 slips 5" in html
    assert "M-11 go/no-go 2026-12-01 at risk" in html and "nothing was changed" in html
    assert html.count('class="moved"') == 8  # DEP-12 and the 7 open records after it
    assert export_program(sample, P) == before
    assert web.get(f"/p/{P}/plan", params={"slip": "NOPE-1"}).status_code == 422


def test_the_plan_page_is_404_without_a_role_on_the_program(
    client: tuple[TestClient, dict[str, str]], sample: Pilot
) -> None:
    web, _ = client
    other = issue_token(sample, user_id="stranger", role=Role.ADMIN, program_id="another-program")
    login(web, other)
    assert web.get(f"/p/{P}/plan").status_code == 404


def test_what_if_answers_from_the_plan_and_leaves_other_questions_alone(sample: Pilot) -> None:
    answer = answer_what_if(sample, P, "What if DEP-12 slips a week?")
    assert answer is not None and answer.kind == "structured"
    assert answer.text.startswith("DEP-12 slips 5 business days -> M-09 slips 5")
    assert "The plan ends 2027-04-07 instead of 2027-03-31." in answer.text
    assert [r.record_ref for r in answer.rows][:3] == [
        "dependency:DEP-12",
        "milestone:M-09",
        "dependency:DEP-16",
    ]
    assert not answer.citations and "(target " in answer.rows[0].text
    assert answer.intent == {"what_if": {"record": "DEP-12", "slip_business_days": 5, "new_date": None}}
    data = get_program(sample, P)
    absorbed = what_if_answer(data, "what happens if m-10 is 3 days late", SAMPLE_NOW)
    assert absorbed is not None and "Slack absorbs it at M-11 (6 days of slack)" in absorbed.text
    to_date = what_if_answer(data, "what if M-09 moves to 2026-12-16?", SAMPLE_NOW)
    assert to_date is not None and to_date.intent == {
        "what_if": {"record": "M-09", "slip_business_days": 5, "new_date": "2026-12-16"}
    }
    assert what_if_answer(data, "Which risks does Nora own?", SAMPLE_NOW) is None
    assert what_if_answer(data, "what if DEP-99 slips a week?", SAMPLE_NOW) is None


def test_program_schedule_reads_the_stored_tickets(sample: Pilot) -> None:
    report = program_schedule(sample, P)
    by_id = {f.milestone_id: f for f in report.forecasts}
    assert by_id["M-11"].basis == "tickets" and by_id["M-11"].open_items == 10
    assert (
        by_id["M-11"].p50 is not None
        and by_id["M-11"].p85 is not None
        and by_id["M-11"].p50 <= by_id["M-11"].p85
    )
    assert by_id["M-09"].linked and all(
        k.startswith("acmepay/payments-mobile-sdk#") for k in by_id["M-09"].linked
    )
    assert by_id["M-10"].basis == "entered"
    assert program_schedule(sample, P).forecasts == report.forecasts  # seeded: the same every time


def test_the_exec_status_draft_names_the_critical_path_and_the_next_p85_and_passes_grounding(
    sample: Pilot,
) -> None:
    from pilot.pipeline.status import create_status_draft

    result = create_status_draft(sample, P, "exec", use_llm=False)
    body = result.status.body
    assert (
        "Critical path: DEP-12 -> M-09 -> DEP-16 -> M-11 -> DEP-17 -> M-12 -> M-13 -> M-14 (plan ends 2027-03-31)."
        in body
    )
    sheet = result.status.fact_sheet
    next_major = next(f for f in sheet.forecasts if f.critical and f.basis == "tickets")
    assert next_major.milestone_id == "M-09" and next_major.p85 is not None
    assert (
        f"M-09 Mobile SDK v3 (new payment sheet, 3DS2) released on iOS and Android: P50 {next_major.p50}, P85 {next_major.p85}"
        in body
    )
    assert "M-09 slips 8 business days -> DEP-16 slips 8" in body
    assert [f.rule_id for f in result.draft.findings if f.rule_id.startswith("status.")] == []


def test_pilot_ask_routes_what_if_questions_and_changes_no_data(sample: Pilot) -> None:
    from pilot.pipeline.ask import ask

    before = get_program(sample, P)
    answer = ask(sample, P, "What if DEP-12 slips a week?", now=SAMPLE_NOW)
    assert answer.intent and "what_if" in answer.intent and answer.as_of is not None
    assert answer.rows[0].record_ref == "dependency:DEP-12"
    assert get_program(sample, P) == before
    plain = ask(sample, P, "Which milestones have slipped?", now=SAMPLE_NOW)
    assert not (plain.intent or {}).get("what_if")


def test_the_plan_api_returns_the_schedule_and_a_what_if_without_saving(
    client: tuple[TestClient, dict[str, str]], sample: Pilot
) -> None:
    web, tokens = client
    auth = {"Authorization": f"Bearer {tokens['viewer']}"}
    body = web.get(f"/programs/{P}/plan", headers=auth).json()
    assert body["as_of"] == "2026-11-20" and body["what_if"] is None
    assert body["schedule"]["critical_path"][:2] == ["DEP-12", "M-09"]
    assert {f["milestone_id"] for f in body["forecasts"]} >= {"M-09", "M-11"}
    before = export_program(sample, P)
    slipped = web.get(f"/programs/{P}/plan", params={"slip": "DEP-12", "days": 5}, headers=auth).json()
    assert slipped["what_if"]["summary"].startswith("DEP-12 slips 5 business days -> M-09 slips 5")
    assert export_program(sample, P) == before
    assert web.get(f"/programs/{P}/plan", params={"slip": "NOPE-1"}, headers=auth).status_code == 422
    assert web.get(f"/programs/{P}/plan", params={"days": 10**6}, headers=auth).status_code == 422
    assert web.get(f"/programs/{P}/plan").status_code == 401


def test_the_plan_is_computed_for_the_programs_as_of_date_not_the_clock(sample: Pilot) -> None:
    from datetime import UTC, datetime

    later = open_pilot(sample.settings, actor="later", clock=fixed_clock(datetime(2027, 1, 15, tzinfo=UTC)))
    try:
        assert program_schedule(later, P).as_of.isoformat() == "2026-11-20"  # the sample's own as-of date
        later.as_of_override = datetime(2026, 12, 4, 17, tzinfo=UTC)
        assert program_schedule(later, P).as_of.isoformat() == "2026-12-04"  # --as-of wins
    finally:
        later.close()


def test_pilot_plan_prints_the_critical_path_and_a_what_if(
    sample: Pilot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pilot.cli.main import build_app

    monkeypatch.setenv("PILOT_DATA_DIR", str(sample.settings.data_dir))
    monkeypatch.setenv("PILOT_DATABASE_URL", sample.settings.resolved_database_url)
    monkeypatch.setenv("COLUMNS", "120")
    runner, app = CliRunner(), build_app("plan")
    out = runner.invoke(app, ["plan", "-p", P])
    assert out.exit_code == 0, out.output
    assert "as of 2026-11-20" in out.output
    assert "Critical path: DEP-12 -> M-09 -> DEP-16 -> M-11 -> DEP-17 -> M-12 -> M-13 -> M-14" in out.output
    what_if = runner.invoke(app, ["plan", "-p", P, "--slip", "DEP-12", "--days", "5"])
    assert what_if.exit_code == 0 and "What if DEP-12 slips 5 business days -> M-09 slips 5" in what_if.output
    assert "no program data changed" in what_if.output
    as_json = runner.invoke(app, ["plan", "-p", P, "--json"])
    assert as_json.exit_code == 0 and '"critical_path"' in as_json.output
    missing = runner.invoke(app, ["plan", "-p", P, "--slip", "NOPE-1"])
    assert missing.exit_code != 0 and "is no milestone or dependency" in missing.output
