"""What the transcript parsers share: timestamps, speaker labels, cleaning caption markup."""

from __future__ import annotations

import functools
import html
import re
from datetime import date

from pilot.domain.documents import Turn

# A timestamp as exports write it: [hours:]minutes:seconds[.fraction], any number of hour digits
# (100+ hours is valid WebVTT), one or two digits elsewhere ("0:0:0.0" from old Teams exports).
TIME = r"(?:\d+:)?\d{1,2}:\d{1,2}(?:[.,]\d+)?"
NAME = r"[A-Z][\w.'\u2019-]*(?:\s+(?:[A-Z][\w.'\u2019-]*|de|van|von|da|del|la|le|bin|al)){0,4}"
SPEAKER_LINE = re.compile(
    rf"^\s*(?:[-*]\s+)?(?:\*\*)?({NAME})(?:\*\*)?\s*(?:[(\[]([^)\]]{{0,40}})[)\]])?\s*:\s*(?:\*\*)?\s*(.+)$"
)
# Markup in captions: HTML-like tags (<v>, <c.yellow>, <i>, <font color=..>), karaoke timestamps
# (<00:00:01.500>), and SSA overrides in SRT ({\an8}). "a < b" is text, not a tag.
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.,]*>|\{\\[^{}]*\}")
# Invisible marks: left-to-right / right-to-left marks and embeddings, zero-width space, BOM.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_PRONOUNS = re.compile(r"\s*\((?:she|he|they|ze|xe|any)(?:\s*/\s*[a-z]+){1,2}\)", re.I)
# A name in Chinese, Japanese or Korean script before a full-width or ASCII colon.
_CJK_SPEAKER = re.compile(r"^([\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]{1,8})\s*[\uff1a:]\s*(.+)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ISO_DATE = re.compile(r"\b(20\d{2})-(\d{2})-(\d{2})\b")
_ID_SPEAKER = re.compile(r"^(?:spk|speaker)?[_ ]?([A-Za-z]|\d{1,3})$", re.I)
NOT_SPEAKERS = frozenset(
    "date time when where location attendees attendee participants regrets chair notes note agenda "
    "subject title re cc to from action actions decision decisions risk risks issue issues todo next "
    "summary owner owners due status update updates follow followup link links http https open question "
    "questions blocker blockers dependency dependencies assumption assumptions outcome outcomes context "
    "background goal goals fyi reminder proposal recommendation ask asks result results conclusion "
    "pending done parking lot takeaways highlights lowlights wins".split()
)


def seconds(stamp: str) -> float:
    """ "01:02:03.5" -> 3723.5; "0:0:0.0" -> 0.0; "100:00:00.000" -> 360000.0."""
    value = 0.0
    for part in stamp.strip().replace(",", ".").split(":"):
        value = value * 60 + float(part)
    return round(value, 3)


def clean(text: str) -> str:
    """Caption markup removed, character references decoded (&amp; &nbsp; &lrm; &#8217; ...),
    invisible direction marks dropped, whitespace collapsed."""
    if "<" in text or "{" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    text = _INVISIBLE.sub("", text)
    if "**" in text:
        text = _BOLD.sub(r"\1", text)
    return " ".join(text.split())


def speaker_and_time(text: str) -> tuple[str | None, str, float | None]:
    """Reads "Dana Whitfield: text", "Dana (00:01:02): text" or "王伟：text" as (speaker, text, start)."""
    match = SPEAKER_LINE.match(text)
    if match and match.group(1).split()[0].lower().strip(".") not in NOT_SPEAKERS:
        aside = (match.group(2) or "").strip()
        stamp = seconds(aside) if re.fullmatch(TIME, aside) else None
        return display_name(match.group(1)), match.group(3).strip(), stamp
    cjk = _CJK_SPEAKER.match(text)
    if cjk:
        return cjk.group(1), cjk.group(2).strip(), None
    return None, text, None


def split_speaker(text: str) -> tuple[str | None, str]:
    """A caption line's speaker prefix, also after a ">>" speaker-change mark (YouTube, broadcast)."""
    stripped = text.lstrip()
    if stripped.startswith(">>"):
        stripped = stripped[2:].lstrip()
    speaker, said, _ = speaker_and_time(stripped)
    return speaker, said


@functools.lru_cache(maxsize=4096)
def display_name(name: str) -> str:
    """A name as a person would write it: pronouns in parentheses dropped ("Ana Diaz (she/her)"),
    whitespace collapsed, an all-capitals caption label ("MARTA") in title case."""
    name = " ".join(_PRONOUNS.sub(" ", name).split())
    return name.title() if name.isupper() and len(name) > 2 else name


def speaker_label(value: object) -> str | None:
    """A speaker field from a JSON export: a name, a diarization label ("A", 0, "spk_1") made
    readable as "Speaker A", or an object with a name."""
    if isinstance(value, dict):
        for key in ("name", "display_name", "displayName", "speaker_name", "label", "id"):
            if value.get(key) not in (None, ""):
                return speaker_label(value[key])
        return None
    if value is None or isinstance(value, bool) or isinstance(value, list):
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    label = _ID_SPEAKER.match(text)
    return f"Speaker {label.group(1).upper()}" if label else text


def merge_same_speaker(turns: list[Turn]) -> list[Turn]:
    """Captions split one person's speech into many cues; a turn is what one person says in a row.
    (Runs grouped first, then joined once: a long monologue in 100k cues stays linear.)"""
    groups: list[list[Turn]] = []
    for turn in turns:
        if groups and turn.speaker and turn.speaker == groups[-1][0].speaker:
            groups[-1].append(turn)
        else:
            groups.append([turn])
    merged: list[Turn] = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        end = next((t.end for t in reversed(group) if t.end is not None), None)
        text = " ".join(t.text for t in group).strip()
        merged.append(group[0].model_copy(update={"text": text, "end": end}))
    return merged


def relative_clock(stamps: list[float | None]) -> tuple[list[float | None], bool]:
    """Times of day (Zoom's caption and chat files) -> seconds from the first one, across
    midnight; times already counted from the start of a recording (first under an hour) stay.
    Returns the times and whether they were times of day."""
    known = [s for s in stamps if s is not None]
    if not known or known[0] < 3600:
        return stamps, False
    first = known[0]
    out: list[float | None] = []
    day = 0.0
    previous = first
    for stamp in stamps:
        if stamp is None:
            out.append(None)
            continue
        if stamp + day < previous - 12 * 3600:  # the clock went past midnight
            day += 86400
        previous = stamp + day
        out.append(round(previous - first, 3))
    return out, True


def clock(value: float) -> str:
    whole = int(value)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def date_in(text: str) -> date | None:
    for match in _ISO_DATE.finditer(text):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return None
