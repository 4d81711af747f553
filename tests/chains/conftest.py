"""Shared pieces of the chain tests: OpenAI-shaped responses, a tiny transcript, a small program."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.program import Milestone, Person, ProgramData, ProgramInfo, RaidItem, RaidKind

BASE_URL = "https://llm.example.test/v1"


def completion(
    content: str | None, *, tool_calls: list[dict[str, Any]] | None = None, usage: int = 50
) -> dict[str, Any]:
    """A chat.completion body exactly as OpenAI returns it."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage,
            "completion_tokens": usage // 5,
            "total_tokens": usage + usage // 5,
        },
        "system_fingerprint": "fp_test",
    }


def extraction_json(**overrides: Any) -> str:
    body: dict[str, Any] = {"action_items": [], "decisions": [], "raid": [], "open_questions": []}
    body.update(overrides)
    return json.dumps(body)


def action(task: str, owner: str | None, due: str | None, quote: str, turn: int | None) -> dict[str, Any]:
    return {"task": task, "owner": owner, "due": due, "evidence_quote": quote, "turn_index": turn}


MEETING_TURNS = [
    ("Dana Whitfield", "Okay, let's start. Omar, where is the rollback runbook?"),
    ("Omar Farouk", "Nearly there. I'll have the rollback runbook done by Friday."),
    ("Dana Whitfield", "Great. Alex, can you send me the app store submission plan by tomorrow?"),
    ("Alex Rivera", "Yes, I'll send it tomorrow morning."),
    ("Priya Raman", "The risk is the AWS quota case sits another week and we are out of runway."),
    ("Dana Whitfield", "Then we decided: let's go with the web fallback for SDK v3."),
    ("Jordan Ellis", "I'll fix the soft descriptor truncation before the code freeze."),
]


def meeting_document(turns: list[tuple[str, str]] | None = None) -> Document:
    rows = [
        Turn(index=i + 1, speaker=speaker, text=text, start=float(10 * i))
        for i, (speaker, text) in enumerate(turns or MEETING_TURNS)
    ]
    return Document(
        program_id="payments",
        source="file",
        external_id="sync.vtt",
        kind=DocumentKind.TRANSCRIPT,
        title="Cutover sync",
        text="\n".join(f"{t.speaker}: {t.text}" for t in rows),
        turns=rows,
        meeting_date=date(2026, 11, 16),
    )


def make_program() -> ProgramData:
    opened = datetime(2026, 10, 1, tzinfo=UTC)
    return ProgramData(
        program=ProgramInfo(id="payments", name="Payments migration", timezone="America/Los_Angeles"),
        people=[
            Person(id="dana.whitfield", name="Dana Whitfield", email="dana@example.com"),
            Person(id="omar.farouk", name="Omar Farouk"),
            Person(id="alex.kim", name="Alexander Kim", aliases=["Alex Kim", "Alex"]),
            Person(id="alex.rivera", name="Alexandra Rivera", aliases=["Alex Rivera", "Alex"]),
            Person(id="priya.raman", name="Priya Raman"),
            Person(id="jordan.ellis", name="Jordan Ellis"),
            Person(id="robert.hayes", name="Robert Hayes", aliases=["Bob", "Bob Hayes"]),
            Person(id="tom.becker", name="Thomas Becker", aliases=["Tom"], email="tbecker@example.com"),
        ],
        milestones=[
            Milestone(id="M-10", name="Code freeze for cutover wave 1", target_date=date(2026, 12, 1))
        ],
        raid=[
            RaidItem(id="R-011", kind=RaidKind.RISK, title="AWS quota", owner="alex.kim", opened_at=opened),
            RaidItem(id="R-001", kind=RaidKind.RISK, title="Reconciliation parity", opened_at=opened),
        ],
    )


@pytest.fixture
def program() -> ProgramData:
    return make_program()
