"""Transcripts as JSON or JSON Lines: a list of utterances, bare or under a known key.

Shapes read (by field names, not by vendor):
- generic turns: `[{"speaker", "text", "start", "end"}]`, also `name`/`participant`,
  `content`/`utterance`/`sentence`, `start_time`/`startTime`/`timestamp`, "HH:MM:SS" strings;
- MeetingBank-like `{"transcription": [{"speaker_id", "text", "start_time", "end_time"}]}`;
- AssemblyAI-like `{"utterances": [{"speaker": "A", "text", "start": 250, "end": 2950}]}`
  (milliseconds), and `start_ms`/`end_ms` anywhere;
- whisper.cpp `{"transcription": [{"offsets": {"from": ms, "to": ms}, "text"}]}` and Whisper /
  Deepgram / Gladia `segments`/`utterances` (seconds, `words` lists);
- Rev `monologues` with `elements`; speaker blocks with `speaker: {"name": ...}`;
- JSON Lines: one utterance object per line.
Diarization labels ("A", 0, "spk_1") become "Speaker A"; times are seconds from the start.
"""

from __future__ import annotations

import json
import math
import statistics
from datetime import date
from typing import Any

from pilot.connectors.formats.common import clean, date_in, seconds, speaker_label
from pilot.domain.documents import Turn
from pilot.domain.errors import ErrorCode, PilotError

_LIST_KEYS = (
    "turns",
    "transcript",
    "transcription",
    "utterances",
    "segments",
    "monologues",
    "speaker_blocks",
    "entries",
    "captions",
    "messages",
    "results",
    "result",
    "data",
)
_TEXT_KEYS = ("text", "content", "utterance", "sentence", "transcript", "txt", "caption", "message")
_SPEAKER_KEYS = (
    "speaker_name",
    "speakerName",
    "speaker",
    "name",
    "participant",
    "speaker_label",
    "speaker_id",
    "speakerId",
    "speaker_tag",
    "author",
    "user",
)
# (start key, end key, unit): unit 1000 = milliseconds, None = seconds unless the numbers say ms.
_TIME_KEYS: tuple[tuple[str, str, float | None], ...] = (
    ("start_ms", "end_ms", 1000.0),
    ("startMs", "endMs", 1000.0),
    ("start_time_ms", "end_time_ms", 1000.0),
    ("start", "end", None),
    ("start_time", "end_time", None),
    ("startTime", "endTime", None),
    ("start_timestamp", "end_timestamp", None),
    ("begin", "finish", None),
    ("timestamp", "", None),
)


def parse_json_text(text: str, filename: str, *, lines: bool) -> Any:
    """The parsed document: one JSON value, or for JSON Lines the list of its objects."""
    if not lines:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise PilotError(
                ErrorCode.INVALID_INPUT,
                f"{filename}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            ) from exc
        except RecursionError as exc:
            raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: the JSON is nested too deeply") from exc
    items: list[Any] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise PilotError(
                ErrorCode.INVALID_INPUT, f"{filename}: line {number} is not a JSON object ({exc})"
            ) from exc
    return items


def looks_like_json_lines(text: str) -> bool:
    rows = [line for line in text.split("\n")[:50] if line.strip()]
    if len(rows) < 2:
        return False
    try:
        return all(isinstance(json.loads(row), dict) for row in rows[:-1])  # the last may be cut
    except (ValueError, RecursionError):
        return False


def parse_json_turns(raw: Any, filename: str, warnings: list[str]) -> tuple[list[Turn], str, date | None]:
    """(turns, title, meeting date or None)."""
    title, found = "", None
    if isinstance(raw, dict):
        title = str(raw.get("title") or raw.get("topic") or raw.get("name") or "")
        found = date_in(str(raw.get("meeting_date") or raw.get("date") or raw.get("start_time") or ""))
    items, context = _utterances(raw, 0)
    if items is None:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: expected a list of turns in the JSON")
    rows: list[tuple[str | None, str, Any, Any, float | None]] = []
    skipped = 0
    for item in items:
        said = _text(item) if isinstance(item, dict) else None
        if not said:
            skipped += 1
            continue
        start, end, unit = _times(item)
        rows.append((_speaker(item), said, start, end, unit))
    if skipped:
        warnings.append(f"{skipped} JSON item(s) without text were skipped")
    scale = _scale(rows, context)
    turns = []
    for speaker, said, start, end, unit in rows:
        factor = unit or scale
        turns.append(
            Turn(
                index=0, speaker=speaker, text=said, start=_seconds(start, factor), end=_seconds(end, factor)
            )
        )
    return _from_first_if_epoch(turns), title, found


def _utterances(raw: Any, depth: int) -> tuple[list[Any] | None, dict[str, Any]]:
    """The list of utterance objects, found under the known keys (nested up to three deep),
    and the object that held it."""
    if isinstance(raw, list):
        return raw, {}
    if not isinstance(raw, dict) or depth > 3:
        return None, {}
    for key in _LIST_KEYS:
        value = raw.get(key)
        if isinstance(value, list) and any(isinstance(i, dict) and _text(i) for i in value):
            return value, raw
    for key in _LIST_KEYS:
        value = raw.get(key)
        if isinstance(value, dict):
            found, context = _utterances(value, depth + 1)
            if found is not None:
                return found, {**raw, **context}
    return None, {}


def _text(item: dict[str, Any]) -> str:
    for key in _TEXT_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return clean(value)
    for key in ("words", "elements"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return clean(value)
        if isinstance(value, list) and value:
            return _join_words(value)
    return ""


def _join_words(words: list[Any]) -> str:
    parts = []
    for word in words:
        if isinstance(word, dict):
            value = word.get("punctuated_word") or word.get("word") or word.get("text") or word.get("value")
            if isinstance(value, str):
                parts.append(value)
        elif isinstance(word, str):
            parts.append(word)
    spaced = any(p[:1].isspace() or p[-1:].isspace() for p in parts)  # Rev, Gladia carry their spaces
    return clean(("" if spaced else " ").join(parts))


def _speaker(item: dict[str, Any]) -> str | None:
    for key in _SPEAKER_KEYS:
        if item.get(key) not in (None, ""):
            found = speaker_label(item[key])
            if found:
                return found
    return None


def _times(item: dict[str, Any]) -> tuple[Any, Any, float | None]:
    for nested in ("offsets", "timestamps"):  # whisper.cpp: {"from", "to"} in ms or as "00:00:01,000"
        value = item.get(nested)
        if isinstance(value, dict) and "from" in value:
            return value.get("from"), value.get("to"), 1000.0 if nested == "offsets" else 1.0
    for start_key, end_key, factor in _TIME_KEYS:
        if item.get(start_key) is not None:
            return item.get(start_key), item.get(end_key) if end_key else None, factor
    return None, None, None


def _scale(rows: list[tuple[str | None, str, Any, Any, float | None]], context: dict[str, Any]) -> float:
    """Milliseconds or seconds, for fields named only "start"/"end": integers whose utterances
    last 100+ on the median (no one speaks for 100 s at a stretch in most turns; 100 ms is short),
    or beyond the audio's stated duration in seconds."""
    starts = [r[2] for r in rows if r[4] is None and _is_int(r[2])]
    if not starts or len(starts) < sum(1 for r in rows if r[4] is None and r[2] is not None):
        return 1.0
    duration = context.get("audio_duration") or context.get("duration")
    if isinstance(duration, int | float) and duration > 0 and max(starts) > duration * 1.5:
        return 1000.0
    spans = [r[3] - r[2] for r in rows if r[4] is None and _is_int(r[2]) and _is_int(r[3])]
    if not spans:
        spans = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    return 1000.0 if spans and statistics.median(spans) >= 100 else 1.0


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seconds(value: Any, factor: float) -> float | None:
    found: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        found = float(value) / factor
    elif isinstance(value, str) and value.strip():
        try:
            found = seconds(value) if ":" in value else float(value) / factor
        except ValueError:
            return None
    if found is None or not math.isfinite(found) or found < 0:
        return None
    return round(found, 3)


def _from_first_if_epoch(turns: list[Turn]) -> list[Turn]:
    """Unix times (speaker blocks stamped 1738751962) -> seconds from the first turn."""
    starts = [t.start for t in turns if t.start is not None]
    if not starts or min(starts) < 946684800:  # 2000-01-01
        return turns
    first = min(starts)
    return [
        t.model_copy(
            update={
                "start": None if t.start is None else round(t.start - first, 3),
                "end": None if t.end is None else round(t.end - first, 3),
            }
        )
        for t in turns
    ]
