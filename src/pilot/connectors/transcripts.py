"""Meeting transcripts and notes -> a `Document` with speaker turns.

Formats (parsers in `pilot.connectors.formats`): WebVTT (Zoom, Teams, Google Meet, YouTube), SRT,
YouTube SBV, Zoom's saved closed captions and chat, Otter-style "Name  0:00" blocks, JSON and
JSON Lines turns (generic, MeetingBank-, AssemblyAI-, whisper-shaped), "Name: text" lines, and
plain text or Markdown notes. The format is told by the extension first and then by the content
(exports are often renamed .txt). Damaged input parses as far as it can with a warning per
problem (a cue with broken timings keeps its text without times); input that is not a
transcript at all (empty, binary, too large) is a clear error and nothing is returned, so
nothing half-parsed is stored. No NUL character survives into a document.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import PurePath

from pilot.connectors.formats import cues, json_turns, lines, zoom
from pilot.connectors.formats.common import date_in
from pilot.connectors.text_decoding import decode_text
from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.errors import ErrorCode, PilotError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_LINES_FORMAT = {DocumentKind.NOTES: "notes", DocumentKind.TRANSCRIPT: "timestamped lines"}
CUE_FORMATS = ("webvtt", "srt", "sbv")
# Zoom's local recording folders: "2026-11-16 10.00.00 Sprint review 81234567890".
_ZOOM_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}[ _]\d{2}\.\d{2}\.\d{2}|\s\d{9,12}$")


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
    fmt = detect_format(PurePath(filename).suffix.lower(), text)
    metadata: dict[str, str] = {}
    turns, title, kind, json_date = _parse(fmt, text, filename, warnings, metadata)
    meeting_date = meeting_date or json_date
    turns = [t for t in _without_nul(turns, warnings) if t.text.strip()]
    if not turns:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{filename}: no speech or notes found in the file")
    if not any(t.speaker for t in turns):
        warnings.append("no speaker names found: owners will be resolved from names said in the text only")
    folder = _folder_of(external_id)  # Zoom names the files alike and the folder by date and topic
    found_date = meeting_date or date_in(text[:4000]) or date_in(filename) or date_in(folder)
    if not title and fmt.startswith("zoom") and folder:
        title = _ZOOM_FOLDER.sub("", folder).strip(" -_") or folder
    if found_date is None:
        warnings.append("no meeting date in the file: relative due dates need --meeting-date")
    body = "\n".join(f"{t.speaker}: {t.text}" if t.speaker else t.text for t in turns)
    return Document(
        program_id=program_id,
        source=source,
        external_id=external_id or filename,
        kind=kind,
        title=title.replace("\x00", "").strip() or PurePath(filename).stem,
        text=body,
        meeting_date=found_date,
        turns=[
            Turn.model_construct(index=i, speaker=t.speaker, text=t.text, start=t.start, end=t.end)
            for i, t in enumerate(turns)
        ],
        metadata={"filename": filename, "format": fmt if fmt != "lines" else _LINES_FORMAT[kind], **metadata},
        warnings=warnings,
    )


def _parse(
    fmt: str, text: str, filename: str, warnings: list[str], metadata: dict[str, str]
) -> tuple[list[Turn], str, DocumentKind, date | None]:
    """(turns, title, kind, meeting date said in the file) by the parser for the format."""
    if fmt in CUE_FORMATS:
        title = cues.vtt_title(text) if fmt == "webvtt" else ""
        return cues.parse_cues(text, warnings, fmt=fmt), title, DocumentKind.TRANSCRIPT, None
    if fmt in ("json", "jsonl"):
        raw = json_turns.parse_json_text(text, filename, lines=fmt == "jsonl")
        turns, title, found = json_turns.parse_json_turns(raw, filename, warnings)
        return turns, title, DocumentKind.TRANSCRIPT, found
    if fmt == "zoom captions":
        return zoom.parse_captions(text, metadata), "", DocumentKind.TRANSCRIPT, None
    if fmt == "zoom chat":
        return zoom.parse_chat(text, metadata), "", DocumentKind.TRANSCRIPT, None
    if fmt == "otter":
        return lines.parse_otter(text, warnings), "", DocumentKind.TRANSCRIPT, None
    turns = lines.parse_lines(text)
    kind = DocumentKind.TRANSCRIPT if any(t.start is not None for t in turns) else DocumentKind.NOTES
    return turns, lines.markdown_title(text), kind, None


def _folder_of(external_id: str | None) -> str:
    """The folder a file was read from, when its name in pilot has one ("zoom/2026-11-16 10.00.00
    Sprint review 81234567890/meeting_saved_chat.txt")."""
    parts = PurePath(external_id or "").parts
    return parts[-2] if len(parts) >= 2 else ""


def detect_format(suffix: str, text: str) -> str:
    """The format, by extension first and then by content."""
    head = text.lstrip()
    if suffix == ".vtt" or head.startswith("WEBVTT"):
        return "webvtt"
    if suffix == ".sbv" or cues.looks_like_sbv(head):
        return "sbv"
    if suffix == ".srt" or cues.looks_like_srt(head) or cues.starts_with_timing(head):
        return "srt"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json" or head.startswith(("[", "{")):
        # "[00:00:05] Dana: ..." and "[Dana] 10:02:03" start with a bracket too, but are not JSON
        if _is_json(head):
            return "json"
        if json_turns.looks_like_json_lines(head):
            return "jsonl"
        if suffix == ".json":
            return "json"  # reported with line and column
    if zoom.looks_like_captions(text):
        return "zoom captions"
    if zoom.looks_like_chat(text):
        return "zoom chat"
    if lines.looks_like_otter(text):
        return "otter"
    return "lines"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _without_nul(turns: list[Turn], warnings: list[str]) -> list[Turn]:
    """JSON can carry NUL as "\\u0000" after the bytes were clean: dropped from speakers and text."""
    count = sum(t.text.count("\x00") + (t.speaker or "").count("\x00") for t in turns)
    if not count:
        return turns
    warnings.append(f"{count} NUL character(s) removed")
    return [
        t.model_copy(
            update={
                "text": t.text.replace("\x00", ""),
                "speaker": (t.speaker or "").replace("\x00", "").strip() or None,
            }
        )
        for t in turns
    ]
