"""Status updates: fact sheet, drafts per audience, grounding checks on each kind of error, the
review gate with override reasons, what changed since the last approved update, exports, and
the LLM path on OpenAI's chat-completions shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import respx

from pilot.chains.llm import RetryPolicy
from pilot.chains.llm_openai import build_llm
from pilot.chains.status import llm_status, offline_status, to_html, to_slack
from pilot.connectors.program_file import parse_program_yaml
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.status import Colour, StatusDraft
from pilot.evals.grounding import PERTURBATIONS
from pilot.pipeline import review
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_file
from pilot.pipeline.status import create_status_draft, export_status
from pilot.rules.factsheet import build_fact_sheet
from pilot.rules.grounding import check_status_draft
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings
from pilot.store.audit import list_events
from tests.chains.conftest import BASE_URL, completion

DATA = parse_program_yaml(sample_program_path().read_bytes())
SHEET = build_fact_sheet(DATA, SAMPLE_NOW)
DIRECTORY = [p.name for p in DATA.people]


def test_fact_sheet_on_the_demo_date() -> None:
    assert SHEET.colour == Colour.RED and any("incident.sev1_release" in r for r in SHEET.colour_reasons)
    past = [d.id for d in SHEET.pending_decisions if d.past_threshold]
    assert sorted(past) == ["DEC-07", "DEC-08", "DEC-09", "DEC-10"]
    assert {m.id for m in SHEET.milestones} >= {"M-08", "M-11", "M-12"}
    assert SHEET.top_risks[0].exposure >= SHEET.top_risks[-1].exposure
    assert {d.id for d in SHEET.dependencies_at_risk} >= {"DEP-10", "DEP-11", "DEP-15"}


@pytest.mark.parametrize("audience", ["exec", "engineering", "product"])
def test_clean_drafts_have_no_findings_and_asks_carry_every_field(audience: str) -> None:
    draft = offline_status(SHEET, audience)  # type: ignore[arg-type]
    assert check_status_draft(draft, DIRECTORY) == []
    assert draft.body.index("Decisions needed") < draft.body.index(
        "## ", draft.body.index("Decisions needed") + 5
    )
    ask = next(a for a in draft.asks if a.decision_id == "DEC-07")
    assert (
        ask.options
        and ask.recommendation
        and ask.decider == "Robert Hayes"
        and ask.needed_by
        and ask.cost_of_delay
    )


@pytest.mark.parametrize(
    ("perturbation", "rule"),
    [("wrong_number", "status.ungrounded_number"), ("unknown_person", "status.unknown_name"),
     ("shifted_date", "status.ungrounded_date"), ("flipped_colour", "status.colour_contradiction"),
     ("missing_decision_ask", "status.missing_decision_ask"), ("invented_milestone", "status.invented_milestone")],
)  # fmt: skip
def test_each_kind_of_error_is_caught_with_its_rule(perturbation: str, rule: str) -> None:
    import random

    draft = offline_status(SHEET, "engineering")
    changed = PERTURBATIONS[perturbation](draft, random.Random(7), DATA)
    assert changed is not None and changed != draft
    rules = {f.rule_id for f in check_status_draft(changed, DIRECTORY)}
    assert rule in rules or (perturbation == "unknown_person" and "status.person_not_in_sheet" in rules), (
        rules
    )


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    ctx = open_pilot(Settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path / 's.db'}"),
                     actor="pm", clock=fixed_clock(SAMPLE_NOW))  # fmt: skip
    import_program_file(ctx, sample_program_path())
    yield ctx
    ctx.close()


def test_edited_draft_is_rechecked_and_errors_need_an_override_reason(pilot: Pilot) -> None:
    result = create_status_draft(pilot, SAMPLE_PROGRAM_ID, "exec")
    assert result.draft.findings == []
    payload = dict(result.draft.payload)
    payload["body"] = str(payload["body"]).replace("RED", "GREEN", 1)
    payload["fact_sheet"] = {**payload["fact_sheet"], "colour": "green"}  # type: ignore[dict-item]  # not the editor's to change
    edited = review.edit(pilot, SAMPLE_PROGRAM_ID, result.draft.id, payload)
    assert "status.colour_contradiction" in {f.rule_id for f in edited.findings}
    assert edited.payload["fact_sheet"]["colour"] == "red"  # type: ignore[index]
    with pytest.raises(PilotError) as raised:
        review.approve(pilot, SAMPLE_PROGRAM_ID, result.draft.id)
    assert raised.value.code == ErrorCode.CONFLICT
    review.approve(
        pilot, SAMPLE_PROGRAM_ID, result.draft.id, override_reason="sponsor asked for the green wording"
    )
    with pilot.db.transaction() as session:
        event = next(
            e for e in list_events(session, program_id=SAMPLE_PROGRAM_ID) if e.action == "draft.approve"
        )
    assert event.after and event.after["override_reason"] == "sponsor asked for the green wording"


def test_changes_since_the_last_approved_update(pilot: Pilot) -> None:
    first = create_status_draft(pilot, SAMPLE_PROGRAM_ID, "engineering", now=SAMPLE_NOW - timedelta(days=14))
    review.approve(pilot, SAMPLE_PROGRAM_ID, first.draft.id)
    second = create_status_draft(pilot, SAMPLE_PROGRAM_ID, "engineering")
    changes = second.status.fact_sheet.changes_since_last_update
    assert any("forecast moved from" in c for c in changes)
    assert "Since the last update" in second.status.body and second.draft.findings == []


def test_exports(pilot: Pilot) -> None:
    result = create_status_draft(pilot, SAMPLE_PROGRAM_ID, "exec")
    html = export_status(pilot, SAMPLE_PROGRAM_ID, result.draft.id, "html")
    assert html.startswith("<div") and "<ul>" in html and "<strong>DEC-09:" in html and "<script" not in html
    slack = to_slack(result.status)
    assert slack.startswith("*Payments platform migration") and "• M-08" in slack and "**" not in slack
    assert export_status(pilot, SAMPLE_PROGRAM_ID, result.draft.id, "md") == result.status.body
    with pytest.raises(PilotError):
        export_status(pilot, SAMPLE_PROGRAM_ID, result.draft.id, "pdf")
    assert to_html(result.status).count("<li>") >= 5


def llm(sleeps: list[float]):  # type: ignore[no-untyped-def]
    settings = Settings(
        llm_model="gpt-4o-mini", llm_base_url=BASE_URL, llm_api_key="sk-test", llm_max_retries=2
    )
    return build_llm(settings, policy=RetryPolicy(max_retries=2, base_delay_s=0.5, sleep=sleeps.append))


PROSE = {"headline": "Payments platform migration is RED: M-08 is 5 days late.",
         "body_markdown": "## Milestones\n- M-08: forecast 2026-11-18 against target 2026-11-13 (5 days late)\n"}  # fmt: skip


@pytest.mark.respx(base_url=BASE_URL)
def test_llm_prose_after_a_429_is_checked_like_any_draft(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post("/chat/completions").mock(side_effect=[
        httpx.Response(429, headers={"retry-after": "1"}, json={"error": {"message": "Rate limit", "type": "requests", "code": "rate_limit_exceeded"}}),
        httpx.Response(200, json=completion(json.dumps(PROSE))),
    ])  # fmt: skip
    sleeps: list[float] = []
    draft = llm_status(SHEET, "exec", llm(sleeps))
    assert draft.engine == "llm" and route.call_count == 2 and sleeps
    sent = json.loads(route.calls[1].request.content)
    assert "<fact_sheet>" in sent["messages"][1]["content"] and "DEC-09" in sent["messages"][1]["content"]
    assert check_status_draft(draft, DIRECTORY) == []
    assert [a.decision_id for a in draft.asks] == [a.decision_id for a in offline_status(SHEET, "exec").asks]


@pytest.mark.respx(base_url=BASE_URL)
def test_llm_inventing_facts_is_flagged_and_invalid_output_twice_is_a_clear_error(
    respx_mock: respx.MockRouter,
) -> None:
    invented = {**PROSE, "body_markdown": "All GREEN. Jordan Blake ships M-15 on 2026-12-24."}
    respx_mock.post("/chat/completions").mock(side_effect=[
        httpx.Response(200, json=completion(json.dumps(invented))),
        httpx.Response(200, json=completion("not json")), httpx.Response(200, json=completion("{}")),
    ])  # fmt: skip
    draft: StatusDraft = llm_status(SHEET, "exec", llm([]))
    rules = {f.rule_id for f in check_status_draft(draft, DIRECTORY)}
    assert {"status.colour_contradiction", "status.unknown_name", "status.invented_milestone"} <= rules
    with pytest.raises(PilotError) as raised:
        llm_status(SHEET, "exec", llm([]))
    assert raised.value.code == ErrorCode.UPSTREAM_INVALID_OUTPUT
