"""Timed captions: WebVTT (Zoom, Teams, Google Meet, YouTube), SRT and YouTube's SBV.

Cues are read as the WebVTT parsing rules read them: a cue is an optional identifier line, a
timing line with "-->", and text up to a blank line *or* the next line with "-->" (YouTube's
auto-captions, and many hand-edited files, leave no blank line between cues). An identifier is
never a timing line however arrow-like it looks ("->"); NOTE, STYLE and REGION blocks are not
text and never a title. Timestamps are read leniently: "0:0:0.0" (old Teams) and hours past 99
are valid. Text outside `<v>` voice spans is kept (without a speaker unless it names one), and
character references (&amp; &nbsp; &lrm; ...) are decoded. A cue whose timing cannot be read
keeps its text without times, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pilot.connectors.formats.common import (
    TIME,
    clean,
    display_name,
    merge_same_speaker,
    seconds,
    split_speaker,
)
from pilot.domain.documents import Turn

_CUE_TIMING = re.compile(rf"^\s*({TIME})\s*-->\s*({TIME})(?=\s|$)")
_SBV_TIMING = re.compile(rf"^\s*({TIME}),({TIME})\s*$")
# Where a cue's timing should be but is damaged: starts like a timestamp, or digits around an arrow.
_BROKEN_TIMING = re.compile(r"^\s*\d{1,3}:\d|\d\s*-+>\s*\d")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+([^>]*))?>|</v\s*>")
_KARAOKE = re.compile(r"<\d{1,3}:\d{2}[\d:.]*>|<c[.>]")
_CHANGE_MARK = re.compile(r"^\s*(?:<[^>]*>)*\s*>>", re.M)
_BLOCK_KEYWORD = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t]|$)")


def looks_like_srt(head: str) -> bool:
    return bool(re.match(rf"^\d+\s*\n\s*{TIME}\s*-->", head))


def starts_with_timing(head: str) -> bool:
    """Cues without a header or numbers: the first line is a timing line."""
    return bool(_CUE_TIMING.match(head.split("\n", 1)[0]))


def looks_like_sbv(head: str) -> bool:
    first = head.lstrip().split("\n", 1)[0]
    return bool(_SBV_TIMING.match(first))


def vtt_title(text: str) -> str:
    """The text after "WEBVTT" on the signature line ("WEBVTT - Sprint review"). NOTE blocks
    are comments (Teams writes `duration:"00:00:29.5060000"` in one) and are never the title."""
    first = text.lstrip().split("\n", 1)[0]
    rest = first[len("WEBVTT") :] if first.startswith("WEBVTT") else ""
    return rest.strip(" \t-:") if rest[:1] in (" ", "\t") else ""


def parse_cues(text: str, warnings: list[str], *, fmt: str) -> list[Turn]:
    """`fmt` is "webvtt", "srt" or "sbv"."""
    lines = text.split("\n")
    if fmt == "webvtt":
        lines = _skip_vtt_header(lines)
    rolling = fmt == "webvtt" and bool(_KARAOKE.search(text))  # YouTube auto-captions repeat lines
    marked = bool(_CHANGE_MARK.search(text))
    turns: list[Turn] = []
    broken = 0
    previous: list[str] = []
    for block in _blocks(lines, sbv=fmt == "sbv"):
        if fmt == "webvtt" and _BLOCK_KEYWORD.match(block[0]) and "-->" not in block[0]:
            continue
        start, end, payload, ok = _timing(block, sbv=fmt == "sbv")
        if payload is None:
            continue  # an identifier alone
        payload = [line for line in payload if line.strip()]
        broken += not ok and bool(payload)  # an arrow-like line with no text under it loses nothing
        shown = payload
        if rolling:
            while shown and previous and clean(shown[0]) == clean(previous[-1]):
                shown = shown[1:]
        previous = payload or previous
        cue = list(_cue_turns(shown, start, end))
        if marked and turns and not _CHANGE_MARK.search("\n".join(shown)):
            # ">>" marks a new speaker (YouTube, broadcast captions): a cue without it goes on
            cue = [
                t.model_copy(update={"speaker": turns[-1].speaker}) if t.speaker is None else t for t in cue
            ]
        turns.extend(cue)
    if broken:
        warnings.append(
            f"{broken} cue(s) had missing or unreadable timings; their text is kept without times"
        )
    return merge_same_speaker([t for t in turns if t.text])


def _skip_vtt_header(lines: list[str]) -> list[str]:
    """Drop the "WEBVTT" line and the header lines under it (Kind:, Language:), up to the first
    blank line or the first timing line."""
    at = 0
    while at < len(lines) and not lines[at].strip():
        at += 1
    if at < len(lines) and lines[at].startswith("WEBVTT"):
        at += 1
        while at < len(lines) and lines[at].strip() and "-->" not in lines[at]:
            at += 1
    return lines[at:]


def _is_timing(line: str, *, sbv: bool) -> bool:
    return bool(_SBV_TIMING.match(line)) if sbv else "-->" in line


def _blocks(lines: list[str], *, sbv: bool) -> Iterator[list[str]]:
    """Blocks of lines, split at blank lines and before a timing line that follows a cue's text
    (a numeric identifier just above that timing line goes with it)."""
    current: list[str] = []
    timed = False
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            if current and timed and _is_timing(current[-1], sbv=sbv) and raw:
                continue  # YouTube puts a line of one space right under the timing line
            if current:
                yield current
            current, timed = [], False
            continue
        if _is_timing(line, sbv=sbv) and current and (timed or len(current) >= 2):
            carry: list[str] = []
            if len(current) > 2 and current[-1].strip().isdigit():
                carry = [current.pop()]
            yield current
            current, timed = carry, False
        if _is_timing(line, sbv=sbv):
            timed = True
        current.append(line)
    if current:
        yield current


def _timing(block: list[str], *, sbv: bool) -> tuple[float | None, float | None, list[str] | None, bool]:
    """(start, end, text lines, timing readable). Text lines are None for a block that is only
    an identifier."""
    at = next((i for i, line in enumerate(block[:2]) if _is_timing(line, sbv=sbv)), None)
    if at is None:
        at = next((i for i, line in enumerate(block[:2]) if _BROKEN_TIMING.search(line)), None)
        if at is None:
            has_id = len(block) > 1 and block[0].strip().isdigit()
            if len(block) == 1 and block[0].strip().isdigit():
                return None, None, None, True
            return None, None, block[1:] if has_id else block, False
        return None, None, block[at + 1 :], False
    match = (_SBV_TIMING if sbv else _CUE_TIMING).match(block[at])
    if not match:
        return None, None, block[at + 1 :], False
    try:
        return seconds(match.group(1)), seconds(match.group(2)), block[at + 1 :], True
    except ValueError:
        return None, None, block[at + 1 :], False


def _cue_turns(lines: list[str], start: float | None, end: float | None) -> Iterator[Turn]:
    """A cue's text -> turns: one per `<v Speaker>` span, text outside the spans kept (with the
    speaker it names, if any), a "Name: text" prefix read as the speaker."""
    raw = " ".join(line.strip() for line in lines)
    for speaker, said in _voice_spans(raw):
        if speaker is None:
            speaker, said = split_speaker(clean(said))
        text = clean(said)
        if text:
            yield Turn(index=0, speaker=speaker, text=text, start=start, end=end)


def _voice_spans(raw: str) -> list[tuple[str | None, str]]:
    if "<v" not in raw and "</v" not in raw:
        return [(None, raw)]
    spans: list[tuple[str | None, str]] = []
    speaker: str | None = None
    at = 0
    for match in _VOICE.finditer(raw):
        spans.append((speaker, raw[at : match.start()]))
        closing = match.group(0).startswith("</")
        speaker = None if closing else display_name(clean(match.group(1) or "")) or None
        at = match.end()
    spans.append((speaker, raw[at:]))
    merged: list[tuple[str | None, str]] = []
    for who, said in spans:
        if not said.strip():
            continue
        if merged and merged[-1][0] == who and who is not None:
            merged[-1] = (who, f"{merged[-1][1]} {said}")
        else:
            merged.append((who, said))
    return merged
