"""Documents -> chunks sized for the embedding model.

MiniLM reads 256 word pieces and silently drops the rest, so a chunk is at most `max_words`
words (about 190 pieces of English). Transcripts are cut on speaker turns, in windows that
overlap by `overlap_turns` turns so a statement across a boundary is whole in one chunk; a turn
longer than a window is split on sentences. Tickets and incidents keep their header fields (key,
status, owner, dates) in the first chunk and split the description after it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time

from pilot.domain.documents import Chunk, Document, DocumentKind, Turn

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ChunkingConfig:
    max_words: int = 60
    overlap_turns: int = 1


def chunk_document(doc: Document, config: ChunkingConfig | None = None) -> list[Chunk]:
    config = config or ChunkingConfig()
    if doc.kind in (DocumentKind.TRANSCRIPT, DocumentKind.NOTES) and doc.turns:
        pieces = list(_turn_windows(doc.turns, config))
    else:
        pieces = [(text, None, None, None, None) for text in _field_chunks(doc.text, config.max_words)]
    chunks = []
    for number, (text, first, last, start, end) in enumerate(pieces):
        meta: dict[str, str | int | float | bool] = {
            "program_id": doc.program_id,
            "source": doc.source,
            "kind": doc.kind.value,
            "external_id": doc.external_id,
            "document_key": doc.key,
            "title": doc.title[:300],
            "chunk": number,
        }
        if doc.url:
            meta["url"] = doc.url
        if doc.author:
            meta["author"] = doc.author
        # One date per chunk for range filters: when the item last changed, or when the meeting was.
        when = doc.updated_at or doc.created_at
        if when is not None:
            meta["date_ts"] = when.timestamp()
        if doc.meeting_date is not None:
            meta["meeting_date"] = doc.meeting_date.isoformat()
            meta.setdefault("date_ts", datetime.combine(doc.meeting_date, time(), UTC).timestamp())
        if first is not None and last is not None:
            meta["turn_first"], meta["turn_last"] = first, last
            speakers = sorted({t.speaker for t in doc.turns[first : last + 1] if t.speaker})
            if speakers:
                meta["speakers"] = ", ".join(speakers)[:300]
        if start is not None:
            meta["start_s"] = start
        if end is not None:
            meta["end_s"] = end
        chunk_id = hashlib.sha1(f"{doc.program_id}|{doc.key}|{number}".encode()).hexdigest()
        chunks.append(
            Chunk(id=chunk_id, program_id=doc.program_id, document_key=doc.key, text=text, metadata=meta)
        )
    return chunks


Piece = tuple[str, int | None, int | None, float | None, float | None]


def _turn_text(turn: Turn) -> str:
    return f"{turn.speaker}: {turn.text}" if turn.speaker else turn.text


def _split_long(turn: Turn, max_words: int) -> list[Turn]:
    words = turn.text.split()
    if len(words) + 3 <= max_words:
        return [turn]
    parts: list[Turn] = []
    current: list[str] = []
    for sentence in _SENTENCE.split(turn.text):
        sentence_words = sentence.split()
        while len(sentence_words) > max_words - 3:  # a sentence longer than a window: hard cut
            if current:
                parts.append(turn.model_copy(update={"text": " ".join(current)}))
                current = []
            parts.append(turn.model_copy(update={"text": " ".join(sentence_words[: max_words - 3])}))
            sentence_words = sentence_words[max_words - 3 :]
        if len(current) + len(sentence_words) > max_words - 3 and current:
            parts.append(turn.model_copy(update={"text": " ".join(current)}))
            current = []
        current.extend(sentence_words)
    if current:
        parts.append(turn.model_copy(update={"text": " ".join(current)}))
    return parts


def _window_ranges(units: list[Turn], config: ChunkingConfig) -> Iterator[tuple[int, int]]:
    """[start, end) unit ranges of the windows: at most `max_words` words, overlapping by
    `overlap_turns` units, always moving forward."""
    sizes = [len(_turn_text(unit).split()) for unit in units]
    start = 0
    while start < len(units):
        words = 0
        end = start
        while end < len(units):
            if end > start and words + sizes[end] > config.max_words:
                break
            words += sizes[end]
            end += 1
        yield start, end
        if end >= len(units):
            return
        start = max(start + 1, end - config.overlap_turns)


def _turn_windows(turns: list[Turn], config: ChunkingConfig) -> Iterator[Piece]:
    units = [part for turn in turns for part in _split_long(turn, config.max_words)]
    for start, end in _window_ranges(units, config):
        window = units[start:end]
        yield (
            "\n".join(_turn_text(t) for t in window),
            window[0].index,
            window[-1].index,
            window[0].start,
            window[-1].end if window[-1].end is not None else window[-1].start,
        )


def chunk_units(
    doc: Document, config: ChunkingConfig | None = None
) -> tuple[list[str], list[tuple[int, int]]] | None:
    """For a document chunked in overlapping windows (transcripts and notes): its units (turns,
    long ones split) and each chunk's [start, end) range of them, chunk `n`'s text being its
    units joined by newlines, in `chunk_document`'s order. None for other documents."""
    config = config or ChunkingConfig()
    if doc.kind not in (DocumentKind.TRANSCRIPT, DocumentKind.NOTES) or not doc.turns:
        return None
    units = [part for turn in doc.turns for part in _split_long(turn, config.max_words)]
    return [_turn_text(unit) for unit in units], list(_window_ranges(units, config))


def _field_chunks(text: str, max_words: int) -> Iterator[str]:
    header, _, body = text.partition("\n\n")
    header_words = header.split()
    if not body.strip() or len(header_words) >= max_words:
        body = text if len(header_words) >= max_words else ""
        header = "" if body else header
    if header:
        first_room = max_words - len(header_words)
        body_words = body.split()
        yield (
            header + ("\n\n" + " ".join(body_words[:first_room]) if body_words[:first_room] else "")
        ).strip()
        rest = body_words[first_room:]
    else:
        rest = body.split()
    title = header.split("\n", 1)[0] if header else ""
    step = max_words - len(title.split())
    for offset in range(0, len(rest), max(step, 20)):
        part = " ".join(rest[offset : offset + step])
        yield f"{title}\n{part}" if title else part
