"""QMSum meetings as the evals read them: speaker turns and the specific queries with their gold
evidence spans (`qmsum/data/ALL/<split>/<meeting>.json`). The one reader of QMSum files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pilot.domain.errors import ErrorCode, PilotError


@dataclass(frozen=True)
class QmsumTurn:
    speaker: str
    text: str


@dataclass(frozen=True)
class Query:
    meeting_id: str
    text: str
    spans: tuple[tuple[int, int], ...]  # gold evidence as inclusive turn-index ranges


@dataclass(frozen=True)
class QmsumMeeting:
    meeting_id: str
    turns: list[QmsumTurn]
    queries: list[Query]


def split_dir(data_dir: Path, split: str) -> Path:
    return data_dir / "qmsum" / "data" / "ALL" / split


def read_meeting(path: Path) -> QmsumMeeting:
    raw = json.loads(path.read_text(encoding="utf-8"))
    turns = [
        QmsumTurn(str(t.get("speaker") or ""), str(t.get("content") or ""))
        for t in raw["meeting_transcripts"]
    ]
    queries = [
        Query(path.stem, q["query"], tuple((int(a), int(b)) for a, b in q.get("relevant_text_span") or []))
        for q in raw.get("specific_query_list", [])
        if q.get("relevant_text_span")
    ]
    return QmsumMeeting(path.stem, turns, queries)


def load_split(data_dir: Path, split: str) -> list[QmsumMeeting]:
    folder = split_dir(data_dir, split)
    if not folder.is_dir():
        raise PilotError(ErrorCode.INVALID_INPUT, f"{folder}: no QMSum split {split!r} here")
    return [read_meeting(path) for path in sorted(folder.glob("*.json"))]
