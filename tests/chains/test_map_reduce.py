"""Long transcripts through the LLM chain: chunks in parallel under a bound, answers cut off or
refused retried on smaller chunks and recorded as data (issue 9 item 11), near-duplicates from
overlapping chunks merged into one item with the best evidence (issue 11 item 4)."""

from __future__ import annotations

import json
import threading
import time

import httpx
import respx

from pilot.chains.chunking import chunk_turns, merge_outputs
from pilot.chains.extraction import LLMExtractor
from pilot.chains.llm import RetryPolicy
from pilot.chains.llm_openai import build_llm
from pilot.chains.schema import ExtractionOutput
from pilot.domain.documents import Turn
from pilot.domain.drafts import DraftKind
from pilot.pipeline.extract_grounding import extract
from pilot.settings import Settings

from .conftest import action, extraction_json, meeting_document
from .providers import openai_body

BASE = "https://llm.example.test/v1"
RUNBOOK = action(
    "have the rollback runbook done", "I", "by Friday", "I'll have the rollback runbook done by Friday", 2
)
DESCRIPTOR = action(
    "fix the soft descriptor truncation", "I", None, "I'll fix the soft descriptor truncation", 7
)


def llm(**settings: object):  # type: ignore[no-untyped-def]
    return build_llm(
        Settings(llm_base_url=BASE, llm_model="gpt-4o-mini", **settings),  # type: ignore[arg-type]
        policy=RetryPolicy(max_retries=1, sleep=lambda _s: None),
    )


def user_text(request: httpx.Request) -> str:
    return str(json.loads(request.content)["messages"][-1]["content"])


def test_a_reply_cut_off_is_retried_in_halves_and_nothing_is_lost(respx_mock: respx.MockRouter) -> None:
    answers = [
        httpx.Response(200, json=openai_body(extraction_json()[:30], finish="length", completion=4096)),
        httpx.Response(200, json=openai_body(extraction_json(action_items=[RUNBOOK]))),
        httpx.Response(200, json=openai_body(extraction_json(action_items=[DESCRIPTOR]))),
    ]
    route = respx_mock.post(f"{BASE}/chat/completions").mock(side_effect=answers)
    engine = LLMExtractor(llm=llm())
    document = meeting_document()
    result = extract(document, engine=engine, meeting_date=document.meeting_date)
    assert route.call_count == 3 and result.failures == [] and result.complete
    assert len(result.of_kind(DraftKind.ACTION_ITEM)) == 2
    assert result.usage.calls == 3 and result.usage.output_tokens == 4096 + 2 * 300
    first, second = user_text(route.calls[1].request), user_text(route.calls[2].request)
    assert (
        "runbook done by Friday" in first and "soft descriptor" not in first and "soft descriptor" in second
    )


def test_a_turn_the_content_filter_refuses_is_a_recorded_failure_and_the_rest_is_kept(
    respx_mock: respx.MockRouter,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        text = user_text(request)
        if "soft descriptor" in text:
            return httpx.Response(200, json=openai_body(None, finish="content_filter"))
        items = [RUNBOOK] if "runbook done by Friday" in text else []
        return httpx.Response(200, json=openai_body(extraction_json(action_items=items)))

    respx_mock.post(f"{BASE}/chat/completions").mock(side_effect=answer)
    document = meeting_document()
    result = extract(document, engine=LLMExtractor(llm=llm()), meeting_date=document.meeting_date)
    assert [d.payload.task for d in result.of_kind(DraftKind.ACTION_ITEM)] == [
        "have the rollback runbook done"
    ]  # type: ignore[union-attr]
    assert len(result.failures) == 1 and not result.complete
    failure = result.failures[0]
    assert failure.failure.kind == "refused" and failure.first_turn == failure.last_turn == 7


def test_chunks_run_in_parallel_within_the_concurrency_bound(respx_mock: respx.MockRouter) -> None:
    in_flight, peak, lock = [0], [0], threading.Lock()

    def answer(_request: httpx.Request) -> httpx.Response:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)  # long enough for the other workers to start theirs
        with lock:
            in_flight[0] -= 1
        return httpx.Response(200, json=openai_body(extraction_json()))

    respx_mock.post(f"{BASE}/chat/completions").mock(side_effect=answer)
    turns = [
        ("Dana Whitfield", f"Item {i}: the migration plan needs another review of step {i}. " * 8)
        for i in range(24)
    ]
    document = meeting_document(turns)
    engine = LLMExtractor(
        llm=llm(llm_max_concurrency=2), max_chunk_tokens=500, overlap_tokens=50, max_concurrency=6
    )
    progress: list[tuple[int, int]] = []
    result = extract(document, engine=engine, progress=lambda done, total: progress.append((done, total)))
    chunks = len(chunk_turns(document.turns, max_tokens=500, overlap_tokens=50))
    assert result.chunks == chunks >= 6 and peak[0] == 2
    assert progress[-1] == (chunks, chunks) and len(progress) == chunks


def test_near_duplicates_from_overlapping_chunks_keep_the_best_evidence() -> None:
    turns = [
        Turn(index=1, speaker="Dana Whitfield", text="Omar, where is the rollback runbook?"),
        Turn(
            index=2,
            speaker="Omar Farouk",
            text="Nearly there. I'll have the rollback runbook done by Friday.",
        ),
    ]
    paraphrased = action(
        "Have the rollback runbook done.", "I", "by Friday", "Omar will finish the runbook", 1
    )
    verbatim = action("have the rollback runbook done", "I", None, "I'll have the rollback runbook done", 2)
    outputs = [
        ExtractionOutput.model_validate_json(extraction_json(action_items=[item]))
        for item in (paraphrased, verbatim)
    ]
    merged = merge_outputs(outputs, turns).action_items
    assert len(merged) == 1
    assert merged[0].evidence_quote == "I'll have the rollback runbook done" and merged[0].turn_index == 2
    assert merged[0].due == "by Friday"  # taken from the copy whose evidence lost
