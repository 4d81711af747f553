"""Token usage and cost recorded per call, per job and per draft; the prompt's version and hash on
every LLM draft (issue 11 item 4). The LLM is the real adapter against respx."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import respx

from pilot.chains.extraction import LLMExtractor
from pilot.chains.llm import RetryPolicy
from pilot.chains.llm_openai import build_llm
from pilot.chains.prompts import DEFAULT_PROMPTS_DIR
from pilot.domain.jobs import JobStatus
from pilot.pipeline import extract as extraction
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.jobs import JobRunner
from pilot.pipeline.programs import import_program_file
from pilot.pipeline.review import list_drafts
from pilot.pipeline.status import create_status_draft
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings

from ..chains.providers import ollama_body
from .test_extract_job import MEETING, lines_parser

BASE = "http://localhost:11434/v1"
PRICES = {"llama3.1:8b": {"input": 0.2, "output": 0.6}}
ANSWER = {
    "action_items": [{"task": "finish the partial-capture refund backfill", "owner": "I", "due": "by Friday",
                      "evidence_quote": "I'll finish the partial-capture refund backfill by Friday", "turn_index": 1}],
    "decisions": [], "raid": [], "open_questions": [],
}  # fmt: skip


@pytest.fixture
def pilot(tmp_path: Path) -> Iterator[Pilot]:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'x.db'}",
                        llm_base_url=BASE, llm_model="llama3.1:8b", llm_prices=PRICES)  # type: ignore[arg-type]  # fmt: skip
    ctx = open_pilot(settings, actor="tester", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(ctx, sample_program_path())
    yield ctx
    extraction.use_engine(None)
    ctx.close()


def test_the_job_records_each_call_and_its_cost_and_each_draft_the_call_that_made_it(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(f"{BASE}/chat/completions").respond(200, json=ollama_body(json.dumps(ANSWER)))
    llm = build_llm(pilot.settings, policy=RetryPolicy(sleep=lambda _s: None))
    extraction.use_engine(lambda _s: LLMExtractor(llm=llm))
    submission = extraction.submit_extraction(
        pilot, JobRunner(pilot, inline=True), SAMPLE_PROGRAM_ID, MEETING.encode(), "sync.txt",
        meeting_date=date(2026, 11, 16), parser=lines_parser,
    )  # fmt: skip
    job = submission.job
    assert job.status == JobStatus.SUCCEEDED and job.result is not None
    cost = (700 * 0.2 + 150 * 0.6) / 1e6
    assert job.result["usage"]["input_tokens"] == 700 and job.result["usage"]["cost_usd"] == pytest.approx(
        cost
    )
    [call] = job.result["llm_calls"]
    assert call["outcome"] == "ok" and call["usage"]["output_tokens"] == 150
    assert (call["first_turn"], call["last_turn"]) == (0, 3)
    prompt_file = DEFAULT_PROMPTS_DIR / "extract" / "extract.j2"
    assert job.result["prompt_hash"] == hashlib.sha256(prompt_file.read_bytes()).hexdigest()
    [draft] = list_drafts(pilot, SAMPLE_PROGRAM_ID, job_id=job.id)
    assert draft.provenance.prompt_version and draft.provenance.prompt_hash == job.result["prompt_hash"]
    assert draft.provenance.usage is not None and draft.provenance.usage.cost_usd == pytest.approx(cost)


def test_an_llm_status_draft_records_its_prompt_version_hash_and_usage(
    pilot: Pilot, respx_mock: respx.MockRouter
) -> None:
    prose = {
        "headline": "Payments platform migration is RED.",
        "body_markdown": "## Milestones\n- M-08 late\n",
    }
    respx_mock.post(f"{BASE}/chat/completions").mock(
        return_value=httpx.Response(200, json=ollama_body(json.dumps(prose)))
    )
    result = create_status_draft(pilot, SAMPLE_PROGRAM_ID, "exec", use_llm=True)
    provenance = result.draft.provenance
    prompt_file = DEFAULT_PROMPTS_DIR / "status" / "status.j2"
    assert (
        provenance.engine == "llm" and provenance.model == "llama3.1:8b" and provenance.prompt_version == "1"
    )
    assert provenance.prompt_hash == hashlib.sha256(prompt_file.read_bytes()).hexdigest()
    assert provenance.usage is not None and provenance.usage.input_tokens == 700


def test_an_offline_status_draft_records_the_hash_of_its_templates(pilot: Pilot) -> None:
    provenance = create_status_draft(pilot, SAMPLE_PROGRAM_ID, "exec", use_llm=False).draft.provenance
    assert provenance.engine == "offline" and provenance.prompt_hash and len(provenance.prompt_hash) == 64
