"""Meeting transcripts and notes -> a `Document` with speaker turns.

Formats: WebVTT (Zoom, Teams, Google Meet: `<v Speaker>` voice tags or "Speaker: text" cues),
SRT, Otter-style "Name  0:00" blocks, JSON turns, "Name: text" lines, and plain text or
Markdown notes. Damaged input parses as far as it can with a warning per problem (a cue with
broken timings keeps its text without times); input that is not a transcript at all (empty,
binary, too large) is a clear error and nothing is returned, so nothing half-parsed is stored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import date
from pathlib import PurePath
from typing import Any

from pilot.connectors.text_decoding import decode_text
from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.errors import ErrorCode, PilotError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_CUE_TIMING = re.compile(rf"^\s*({_TIME})\s*-->\s*({_TIME})")
# Where a cue's timing line should be: anything arrow-like or starting like a timestamp.
_LOOSE_TIMING = re.compile(r"-{1,2}>|^\s*\d{1,2}:\d")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>(.*?)(?:</v>|(?=<v[\s.])|$)", re.S)
_TAG = re.compile(r"</?[^>]+>")
_NAME = r"[A-Z][\w.'\u2019-]*(?:\s+(?:[A-Z][\w.'\u2019-]*|de|van|von|da|del|la|le|bin|al)){0,4}"
_SPEAKER_LINE = re.compile(
    rf"^\s*(?:[-*]\s+)?(?:\*\*)?({_NAME})(?:\*\*)?\s*(?:[(\[]([^)\]]{{0,40}})[)\]])?\s*:\s*(?:\*\*)?\s*(.+)$"
)
# Timestamps in line-based exports: a line of its own (Google Meet's transcript document every
# few minutes), a line prefix ("[00:01:23] Dana: ..."), or after the name ("Dana (00:01:23): ...").
_STAMP_LINE = re.compile(rf"^[\[(]?({_TIME})[\])]?$")
_STAMP_PREFIX = re.compile(rf"^[\[(]?({_TIME})[\])]?\s*[-|]?\s+(?=\S)")
_CHAT_LINE = re.compile(r"^From\s+(.+?)\s+to\s+(?:Everyone|[^:]{1,60}?)\s*:\s*(.+)$")
_OTTER_HEADER = re.compile(rf"^\s*({_NAME})\s{{2,}}({_TIME})\s*$")
_LINES_FORMAT = {DocumentKind.NOTES: "notes", DocumentKind.TRANSCRIPT: "timestamped lines"}
_ISO_DATE = re.compile(r"\b(20\d{2})-(\d{2})-(\d{2})\b")
_NOT_SPEAKERS = frozenset(
    "date time when where location attendees attendee participants regrets chair notes note agenda "
    "subject title re cc to from action actions decision decisions risk risks issue issues todo next "
    "summary owner owners due status update updates follow followup link links http https open question "
    "questions blocker blockers dependency dependencies assumption assumptions outcome outcomes context "
    "background goal goals fyi reminder proposal recommendation ask asks result results conclusion "
    "pending done parking lot takeaways highlights lowlights wins".split()
)


def parse_transcript(
    data: bytes,
    *,
    filename: str,
    program_id: str,
    meeting_date: date | None = None,
    source: str = "upload",
    external_id: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Document:
    text, warnings = decode_text(data, filename, max_bytes=max_bytes)
    fmt = _detect(PurePath(filename).suffix.lower(), text)
    if fmt in ("webvtt", "srt"):
        turns, kind = _parse_cues(text, warnings, vtt=fmt == "webvtt"), DocumentKind.TRANSCRIPT
        title = _vtt_title(text) if fmt == "webvtt" else ""
    elif fmt == "json":
        turns, title, json_date = _parse_json(text, filename, warnings)
        kind = DocumentKind.TRANSCRIPT
        meeting_date = meeting_date or json_date
    elif fmt == "otter":
        turns, kind, title = _parse_otter(text, warnings), DocumentKind.TRANSCRIPT, ""
    else:
        turns, title = _parse_lines(text), _markdown_title(text)
        kind = DocumentKind.TRANSCRIPT if any(t.start is not None for t in turns) else DocumentKind.NOTES
    turns = [t for t in turns if t.text.strip()]
    if not turns:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: no speech or notes found in the file")
    if not any(t.speaker for t in turns):
        warnings.append("no speaker names found: owners will be resolved from names said in the text only")
    found_date = meeting_date or _date_in(text[:4000]) or _date_in(filename)
    if found_date is None:
        warnings.append("no meeting date in the file: relative due dates need --meeting-date")
    body = "\n".join(f"{t.speaker}: {t.text}" if t.speaker else t.text for t in turns)
    return Document(
        program_id=program_id,
        source=source,
        external_id=external_id or filename,
        kind=kind,
        title=title or PurePath(filename).stem,
        text=body,
        meeting_date=found_date,
        turns=[t.model_copy(update={"index": i}) for i, t in enumerate(turns)],
        metadata={"filename": filename, "format": fmt if fmt != "lines" else _LINES_FORMAT[kind]},
        warnings=warnings,
    )


# --- cues (WebVTT and SRT) ----------------------------------------------------------------------


def _parse_cues(text: str, warnings: list[str], *, vtt: bool) -> list[Turn]:
    turns: list[Turn] = []
    broken = 0
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        head = lines[0].strip()
        if vtt and (head.startswith(("WEBVTT", "NOTE", "STYLE", "REGION"))):
            continue
        timing_at = next((i for i, line in enumerate(lines[:2]) if _LOOSE_TIMING.search(line)), None)
        start = end = None
        if timing_at is None:
            content = lines[1:] if len(lines) > 1 and head.isdigit() else lines
            if head.isdigit() and len(lines) == 1:
                continue
            broken += 1
        else:
            match = _CUE_TIMING.match(lines[timing_at])
            if match:
                start, end = _seconds(match.group(1)), _seconds(match.group(2))
            else:
                broken += 1
            content = lines[timing_at + 1 :]
        turns.extend(_cue_turns(" ".join(content), start, end))
    if broken:
        warnings.append(
            f"{broken} cue(s) had missing or unreadable timings; their text is kept without times"
        )
    return _merge_same_speaker(turns)


def _cue_turns(raw: str, start: float | None, end: float | None) -> Iterable[Turn]:
    voices = _VOICE.findall(raw)
    if voices:
        for speaker, said in voices:
            yield Turn(index=0, speaker=speaker.strip(), text=_clean(said), start=start, end=end)
        return
    text = _clean(raw)
    speaker, said = _split_speaker(text)
    yield Turn(index=0, speaker=speaker, text=said, start=start, end=end)


def _merge_same_speaker(turns: list[Turn]) -> list[Turn]:
    """Captions split one person's speech into many cues; a turn is what one person says in a row."""
    merged: list[Turn] = []
    for turn in turns:
        last = merged[-1] if merged else None
        if last is not None and turn.speaker and turn.speaker == last.speaker:
            merged[-1] = last.model_copy(
                update={"text": f"{last.text} {turn.text}".strip(), "end": turn.end or last.end}
            )
        else:
            merged.append(turn)
    return merged


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    value = 0.0
    for part in parts:
        value = value * 60 + float(part)
    return round(value, 3)


def _looks_like_srt(text: str) -> bool:
    return bool(re.match(r"^\d+\s*\n\s*\d{1,2}:\d{2}:\d{2},\d{3}\s*-->", text))


def _vtt_title(text: str) -> str:
    match = re.search(r"^NOTE\s*\n(.+)$", text, re.M) or re.search(r"^NOTE\s+(.+)$", text, re.M)
    return match.group(1).strip() if match else ""


# --- Otter blocks, JSON turns, "Name: text" lines ------------------------------------------------


def _looks_like_otter(text: str) -> bool:
    return sum(1 for line in text.split("\n")[:200] if _OTTER_HEADER.match(line)) >= 2


def _parse_otter(text: str, warnings: list[str]) -> list[Turn]:
    turns: list[Turn] = []
    speaker: str | None = None
    start: float | None = None
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            turns.append(Turn(index=0, speaker=speaker, text=_clean(" ".join(buffer)), start=start))
            buffer.clear()

    for line in text.split("\n"):
        header = _OTTER_HEADER.match(line)
        if header:
            flush()
            speaker, start = header.group(1).strip(), _seconds(header.group(2))
        elif line.strip():
            buffer.append(line.strip())
    flush()
    if turns and turns[0].speaker is None:
        warnings.append("text before the first speaker header has no speaker")
    return turns


def _parse_json(text: str, filename: str, warnings: list[str]) -> tuple[list[Turn], str, date | None]:
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"{filename}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
        ) from exc
    except RecursionError as exc:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: the JSON is nested too deeply") from exc
    title = ""
    found: date | None = None
    if isinstance(raw, dict):
        title = str(raw.get("title") or raw.get("topic") or "")
        found = _date_in(str(raw.get("meeting_date") or raw.get("date") or raw.get("start_time") or ""))
        raw = raw.get("turns") or raw.get("transcript") or raw.get("utterances") or raw.get("segments") or []
    if not isinstance(raw, list):
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: expected a list of turns in the JSON")
    turns: list[Turn] = []
    skipped = 0
    for item in raw:
        if not isinstance(item, dict):
            skipped += 1
            continue
        said = item.get("text") or item.get("content") or item.get("utterance") or item.get("words")
        if not isinstance(said, str):
            skipped += 1
            continue
        speaker = (
            item.get("speaker") or item.get("name") or item.get("participant") or item.get("speaker_name")
        )
        turns.append(
            Turn(
                index=0,
                speaker=str(speaker).strip() if speaker else None,
                text=_clean(said),
                start=_number(item.get("start") or item.get("start_time") or item.get("timestamp")),
                end=_number(item.get("end") or item.get("end_time")),
            )  # fmt: skip
        )
    if skipped:
        warnings.append(f"{skipped} JSON item(s) without text were skipped")
    return turns, title, found


def _number(value: object) -> float | None:
    found: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        found = float(value)
    elif isinstance(value, str):
        try:
            found = _seconds(value) if ":" in value else float(value)
        except ValueError:
            return None
    return found if found is not None and math.isfinite(found) and found >= 0 else None


def _parse_lines(text: str) -> list[Turn]:
    """Notes: "Name: text" lines become turns; other lines are turns without a speaker, and a
    line that continues the previous speaker's paragraph joins it. Timestamps, where the export
    has them, become the start of the turn they introduce."""
    turns: list[Turn] = []
    in_fence = False
    pending: float | None = None  # a timestamp on a line of its own, for the next turn
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
            continue
        if not stripped or in_fence or stripped.startswith("#") or set(stripped) <= set("-=*_|: "):
            continue
        alone = _STAMP_LINE.match(stripped)
        if alone:
            pending = _seconds(alone.group(1))
            continue
        start: float | None = None
        prefix = _STAMP_PREFIX.match(stripped)
        if prefix:
            start, stripped = _seconds(prefix.group(1)), stripped[prefix.end() :]
        speaker, said, stamp = _speaker_and_time(stripped)
        start = start if start is not None else stamp
        labelled = speaker is None and _SPEAKER_LINE.match(stripped) is not None  # "Action: ...", "Risk: ..."
        if (
            speaker is None
            and start is None
            and not labelled
            and turns
            and turns[-1].speaker
            and not stripped.startswith(("-", "*", ">"))
        ):
            turns[-1] = turns[-1].model_copy(update={"text": f"{turns[-1].text} {_clean(said)}"})
            continue
        if start is None and pending is not None:
            start, pending = pending, None
        elif start is not None:
            pending = None
        turns.append(Turn(index=0, speaker=speaker, text=_clean(said), start=start))
    return turns


def _speaker_and_time(text: str) -> tuple[str | None, str, float | None]:
    chat = _CHAT_LINE.match(text)
    if chat:
        return chat.group(1).strip(), chat.group(2).strip(), None
    match = _SPEAKER_LINE.match(text)
    if match and match.group(1).split()[0].lower().strip(".") not in _NOT_SPEAKERS:
        aside = (match.group(2) or "").strip()
        stamp = _seconds(aside) if re.fullmatch(_TIME, aside) else None
        return match.group(1).strip(), match.group(3).strip(), stamp
    return None, text, None


def _split_speaker(text: str) -> tuple[str | None, str]:
    speaker, said, _ = _speaker_and_time(text)
    return speaker, said


def _markdown_title(text: str) -> str:
    match = re.search(r"^#\s+(.+)$", text, re.M)
    return match.group(1).strip() if match else ""


def _clean(text: str) -> str:
    text = _TAG.sub("", text).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _date_in(text: str) -> date | None:
    for match in _ISO_DATE.finditer(text):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return None


def _detect(suffix: str, text: str) -> str:
    """The format, by extension first and then by content (exports are often renamed .txt)."""
    head = text.lstrip()
    if suffix == ".vtt" or head.startswith("WEBVTT"):
        return "webvtt"
    if suffix == ".srt" or _looks_like_srt(head):
        return "srt"
    if suffix == ".json" or (head.startswith(("[", "{")) and _is_json(head)):
        return "json"  # "[00:00:05] Dana: ..." starts with a bracket too, but is not JSON
    if _looks_like_otter(text):
        return "otter"
    return "lines"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True
