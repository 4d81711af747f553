"""Text without cues: Otter-style "Name  0:00" blocks, and "Name: text" lines (meeting notes,
Google Meet's transcript document, chat logs pasted as text)."""

from __future__ import annotations

import re

from pilot.connectors.formats.common import NAME, SPEAKER_LINE, TIME, clean, seconds, speaker_and_time
from pilot.domain.documents import Turn

# Timestamps in line-based exports: a line of its own (Google Meet's transcript document every
# few minutes), a line prefix ("[00:01:23] Dana: ..."), or after the name ("Dana (00:01:23): ...").
_STAMP_LINE = re.compile(rf"^[\[(]?({TIME})[\])]?$")
_STAMP_PREFIX = re.compile(rf"^[\[(]?({TIME})[\])]?\s*[-|]?\s+(?=\S)")
_CHAT_LINE = re.compile(r"^From\s+(.+?)\s+to\s+(?:Everyone|[^:]{1,60}?)\s*:\s*(.+)$")
_OTTER_HEADER = re.compile(rf"^\s*({NAME})\s{{2,}}({TIME})\s*$")


def looks_like_otter(text: str) -> bool:
    return sum(1 for line in text.split("\n")[:200] if _OTTER_HEADER.match(line)) >= 2


def parse_otter(text: str, warnings: list[str]) -> list[Turn]:
    turns: list[Turn] = []
    speaker: str | None = None
    start: float | None = None
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            turns.append(Turn(index=0, speaker=speaker, text=clean(" ".join(buffer)), start=start))
            buffer.clear()

    for line in text.split("\n"):
        header = _OTTER_HEADER.match(line)
        if header:
            flush()
            speaker, start = header.group(1).strip(), seconds(header.group(2))
        elif line.strip():
            buffer.append(line.strip())
    flush()
    if turns and turns[0].speaker is None:
        warnings.append("text before the first speaker header has no speaker")
    return turns


def parse_lines(text: str) -> list[Turn]:
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
            pending = seconds(alone.group(1))
            continue
        start: float | None = None
        prefix = _STAMP_PREFIX.match(stripped)
        if prefix:
            start, stripped = seconds(prefix.group(1)), stripped[prefix.end() :]
        speaker, said, stamp = _line_speaker(stripped)
        start = start if start is not None else stamp
        labelled = speaker is None and SPEAKER_LINE.match(stripped) is not None  # "Action: ...", "Risk: ..."
        if (
            speaker is None
            and start is None
            and not labelled
            and turns
            and turns[-1].speaker
            and not stripped.startswith(("-", "*", ">"))
        ):
            turns[-1] = turns[-1].model_copy(update={"text": f"{turns[-1].text} {clean(said)}"})
            continue
        if start is None and pending is not None:
            start, pending = pending, None
        elif start is not None:
            pending = None
        turns.append(Turn(index=0, speaker=speaker, text=clean(said), start=start))
    return turns


def _line_speaker(text: str) -> tuple[str | None, str, float | None]:
    chat = _CHAT_LINE.match(text)
    if chat:
        return chat.group(1).strip(), chat.group(2).strip(), None
    return speaker_and_time(text)


def markdown_title(text: str) -> str:
    match = re.search(r"^#\s+(.+)$", text, re.M)
    return match.group(1).strip() if match else ""
