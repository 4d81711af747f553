"""Zoom's saved text files: closed captions and chat.

`meeting_saved_closed_caption.txt`: a "[Name] HH:MM:SS" line, then the caption text.
`meeting_saved_chat.txt`, two generations:
- older clients: one line per message, "HH:MM:SS\t From Name : message", private ones
  "From Name to Other(Privately) : message" (some versions with double spaces around "to");
- newer clients: "HH:MM:SS From Name to Everyone:" (or "to Other(Direct Message):"), the
  message on the following tab-indented line(s).
The sender is what stands before the first " : " (older) or before " to <recipient>" (newer), so
a message that itself says " to ... :" never becomes part of the name. The times are times of
day; turns get seconds from the first one, and the clock time of that one is kept.
"""

from __future__ import annotations

import re

from pilot.connectors.formats.common import (
    clean,
    clock,
    display_name,
    merge_same_speaker,
    relative_clock,
    seconds,
)
from pilot.domain.documents import Turn

_CAPTION_HEADER = re.compile(r"^\[(?P<name>[^\[\]]+)\][ \t]+(?P<time>\d{1,2}:\d{2}:\d{2})\s*$")
_CHAT_HEADER = re.compile(r"^(?P<time>\d{1,2}:\d{2}:\d{2})\s+From\s+(?P<rest>.*)$")
_RECIPIENT_MARK = r"\((?:privately|direct message|privately to you)\)"
_TO_MARKED = re.compile(rf"^(?P<sender>.+?)\s+to\s+(?P<to>everyone|.+?\s*{_RECIPIENT_MARK})\s*$", re.I)
_TO_WIDE = re.compile(r"^(?P<sender>.+?)\s{2,}to\s{2,}(?P<to>.+)$", re.I)  # "From  A  to  B"
_TO_ANY = re.compile(r"^(?P<sender>.+?)\s+to\s+(?P<to>.+)$", re.I)


def looks_like_captions(text: str) -> bool:
    lines = [line for line in text.split("\n")[:400] if line.strip()]
    hits = sum(1 for line in lines if _CAPTION_HEADER.match(line))
    return bool(lines) and bool(_CAPTION_HEADER.match(lines[0])) and hits >= min(2, len(lines) // 2)


def looks_like_chat(text: str) -> bool:
    lines = [line for line in text.split("\n")[:400] if line.strip()]
    return bool(lines) and bool(_CHAT_HEADER.match(lines[0]))


def parse_captions(text: str, metadata: dict[str, str]) -> list[Turn]:
    entries: list[tuple[str | None, float | None, list[str]]] = []
    for line in text.split("\n"):
        stripped = line.strip()
        header = _CAPTION_HEADER.match(stripped)
        if header:
            entries.append((display_name(header.group("name")), seconds(header.group("time")), []))
        elif stripped:
            if not entries:
                entries.append((None, None, []))
            entries[-1][2].append(stripped)
    return merge_same_speaker(_turns(entries, metadata))


def parse_chat(text: str, metadata: dict[str, str]) -> list[Turn]:
    entries: list[tuple[str | None, float | None, list[str]]] = []
    private = 0
    for line in text.split("\n"):
        stripped = line.strip()
        header = _CHAT_HEADER.match(stripped)
        if header:
            sender, recipient, said = _chat_header(header.group("rest"))
            if recipient and recipient.lower() != "everyone":
                private += 1
            entries.append((sender, seconds(header.group("time")), [said]))
        elif stripped and entries:  # the message under a newer header, or a wrapped line
            entries[-1][2].append(stripped)
    if private:
        metadata["private_messages"] = str(private)
    return _turns(entries, metadata)


def _chat_header(rest: str) -> tuple[str | None, str | None, str]:
    """ "Name : msg" / "Name to Other(Privately) : msg" / "Name to Everyone:" -> (sender,
    recipient, message)."""
    older = re.match(r"^(?P<who>.+?)\s+:(?:\s+(?P<said>.*))?$", rest)
    if older:
        who, said = older.group("who"), older.group("said") or ""
    elif rest.rstrip().endswith(":"):
        who, said = rest.rstrip()[:-1], ""
    else:
        who, _, said = rest.partition(":")
    who = who.strip()
    split = _TO_MARKED.match(who) or _TO_WIDE.match(who) or (None if older else _TO_ANY.match(who))
    if split:
        return display_name(split.group("sender")) or None, split.group("to").strip(), said.strip()
    return display_name(who) or None, None, said.strip()


def _turns(entries: list[tuple[str | None, float | None, list[str]]], metadata: dict[str, str]) -> list[Turn]:
    """(speaker, time of day, lines) -> turns timed from the first entry."""
    kept = [(who, at, clean(" ".join(lines))) for who, at, lines in entries]
    kept = [entry for entry in kept if entry[2]]
    starts, of_day = relative_clock([at for _, at, _ in kept])
    first = next((at for _, at, _ in kept if at is not None), None)
    if of_day and first is not None:
        metadata["clock_start"] = clock(first)
    return [
        Turn(index=0, speaker=who, text=said, start=start)
        for (who, _, said), start in zip(kept, starts, strict=True)
    ]
