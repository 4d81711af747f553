"""Due dates said in a meeting, normalized against the MEETING date (never the clock).

"by Friday" said on Monday 2026-11-16 is 2026-11-20; "end of next week" is the Friday of the
following week; "before the code freeze" is the day before the program milestone whose name says
"code freeze". Pure functions: the meeting date and time zone are always passed in.

Conventions (written down because people disagree):
- A bare weekday is the next such day strictly after the meeting ("Thursday" said on a Thursday is
  a week later); "this <weekday>" is the one in the meeting's Monday-Sunday week when not past;
  "next <weekday>" is the one in the following week.
- "end of week"/"EOW"/"this week" is that week's Friday; "end of next week"/"next week" the next Friday.
- "EOM", "EOQ", "EOY" are the last calendar day of the month, quarter or year.
- "before X" is the day before X; "by X", "on X", "until X" are X itself.
- "the 3rd" is the next 3rd on or after the meeting date; "Dec 5" the next Dec 5 on or after it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pilot.domain.program import Milestone

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "a couple of": 2, "few": 3, "a few": 3,
}  # fmt: skip

_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM = r"\d+|a couple of|couple of|a few|few|an|a|one|two|three|four|five|six|seven|eight|nine|ten"
_ORD = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_DAY_PART = r"(?:\s+(?:morning|afternoon|evening|night|eod|end of day|close of business|cob))?"
_STOP = {"the", "a", "an", "our", "this", "of", "for", "to"}


@dataclass(frozen=True)
class DueDate:
    """A due phrase and what it resolved to; `rule` says how, `unresolved` when nothing applied."""

    text: str
    due: date | None
    rule: str
    milestone_id: str | None = None
    milestone_candidates: tuple[str, ...] = field(default_factory=tuple)

    @property
    def on_weekend(self) -> bool:
        return self.due is not None and self.due.weekday() >= 5


def meeting_local_date(meeting: date | datetime, timezone: str = "UTC") -> date:
    """The calendar date of the meeting where it was held: an aware datetime is converted first."""
    if isinstance(meeting, datetime):
        if meeting.tzinfo is not None:
            try:
                meeting = meeting.astimezone(ZoneInfo(timezone))
            except ZoneInfoNotFoundError:
                meeting = meeting.astimezone(ZoneInfo("UTC"))
        return meeting.date()
    return meeting


def _friday_of_week(day: date) -> date:
    return day + timedelta(days=4 - day.weekday())


def _last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_day_of_month(base: date, day: int) -> date | None:
    for offset in range(0, 13):
        candidate_month = _add_months(date(base.year, base.month, 1), offset)
        if day <= calendar.monthrange(candidate_month.year, candidate_month.month)[1]:
            candidate = candidate_month.replace(day=day)
            if candidate >= base:
                return candidate
    return None


def _month_day(base: date, month: int, day: int, year: int | None) -> date | None:
    years = [year] if year else [base.year, base.year + 1]
    for y in years:
        if day > calendar.monthrange(y, month)[1]:
            continue
        candidate = date(y, month, day)
        if year or candidate >= base:
            return candidate
    return None


def thanksgiving(year: int) -> date:
    """US Thanksgiving: the fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _holiday(name: str, base: date) -> date | None:
    for year in (base.year, base.year + 1):
        day = {
            "thanksgiving": thanksgiving(year),
            "christmas": date(year, 12, 25),
            "christmas eve": date(year, 12, 24),
            "new year": date(year + 1, 1, 1) if year == base.year else None,
            "new years": date(year + 1, 1, 1) if year == base.year else None,
        }.get(name)
        if day is not None and day >= base:
            return day
    return None


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP]


def match_milestones(phrase: str, milestones: Sequence[Milestone]) -> list[Milestone]:
    """Milestones whose id is named, or whose name holds every word of the phrase (at least one word)."""
    lowered = phrase.lower()
    by_id = [m for m in milestones if re.search(rf"\b{re.escape(m.id.lower())}\b", lowered)]
    if by_id:
        return by_id
    words = _words(phrase)
    if not words:
        return []
    return [m for m in milestones if set(words) <= set(_words(m.name))]


def _strip_prefix(text: str) -> tuple[str, bool]:
    text = text.strip().lower().rstrip(".!?,;")
    text = re.sub(r"^(?:due|deadline|target)\s*(?::|is)?\s*", "", text)
    before = False
    match = re.match(
        r"^(?:by|on|until|till|til|no later than|not later than|at the latest by|before|prior to|ahead of)\s+",
        text,
    )
    if match:
        before = match.group(0).strip() in ("before", "prior to", "ahead of")
        text = text[match.end() :]
    text = re.sub(r"^(?:the end of|end of)\s+the\s+", "end of ", text)
    return text.strip(), before


def _resolve_core(
    text: str, base: date, milestones: Sequence[Milestone]
) -> tuple[date | None, str, str | None, tuple[str, ...]]:
    """A due phrase without its prefix: a named period, else a calendar date, else a holiday or a
    milestone by name."""
    resolved = _named_period(text, base) or _calendar_date(text, base)
    if resolved is not None:
        return resolved[0], resolved[1], None, ()
    holiday = re.sub(r"['’]s?\b|\s+day$", "", text).strip()
    if (holiday_date := _holiday(holiday, base)) is not None:
        return holiday_date, "holiday", None, ()
    if milestones:
        found = match_milestones(text, milestones)
        if len(found) == 1:
            return found[0].current_forecast, "milestone", found[0].id, ()
        if len(found) > 1:
            return None, "ambiguous_milestone", None, tuple(m.id for m in found)
    return None, "unresolved", None, ()


def _named_period(text: str, base: date) -> tuple[date | None, str] | None:
    """today, tomorrow, end of week/month/quarter/year, in N days/weeks/months."""
    if re.fullmatch(
        rf"(?:today|tonight|this (?:morning|afternoon|evening)|(?:the )?end of (?:the )?day|eod|cob|close of business|end of business|eob|asap)(?: today)?{_DAY_PART}",
        text,
    ):
        return base, "today"
    if re.fullmatch(rf"(?:the )?day after tomorrow{_DAY_PART}", text):
        return base + timedelta(days=2), "day_after_tomorrow"
    if re.fullmatch(rf"tomorrow{_DAY_PART}|(?:the )?end of (?:the )?day tomorrow|tomorrow end of day", text):
        return base + timedelta(days=1), "tomorrow"
    if re.fullmatch(
        r"(?:eow|end of (?:the |this )?week|this week|the end of this week|friday this week)", text
    ):
        friday = _friday_of_week(base)
        return (friday if friday >= base else friday + timedelta(days=7)), "end_of_week"
    if re.fullmatch(r"(?:end of next week|next week|the end of next week|eonw)", text):
        friday = _friday_of_week(base)
        return (
            (friday + timedelta(days=7) if friday >= base else friday + timedelta(days=14)),
            "end_of_next_week",
        )
    if re.fullmatch(r"(?:eom|end of (?:the |this )?month|this month)", text):
        return _last_day_of_month(base.year, base.month), "end_of_month"
    if re.fullmatch(r"(?:end of next month|next month)", text):
        nxt = _add_months(date(base.year, base.month, 1), 1)
        return _last_day_of_month(nxt.year, nxt.month), "end_of_next_month"
    if match := re.fullmatch(
        r"(?:eoq|end of (?:the |this )?quarter|this quarter|(?:end of )?(?:next quarter))", text
    ):
        quarter_end_month = ((base.month - 1) // 3 + 1) * 3
        end = _last_day_of_month(base.year, quarter_end_month)
        if "next" in match.group(0):
            nxt = _add_months(date(base.year, quarter_end_month, 1), 3)
            end = _last_day_of_month(nxt.year, nxt.month)
        return end, "end_of_quarter"
    if re.fullmatch(r"(?:eoy|end of (?:the |this )?year|this year)", text):
        return date(base.year, 12, 31), "end_of_year"
    if match := re.fullmatch(
        rf"(?:in|within)\s+(?P<n>{_NUM})\s+(?P<unit>day|days|week|weeks|month|months)(?: time)?|(?P<n2>{_NUM})\s+(?P<unit2>days|weeks|months) from (?:now|today)",
        text,
    ):
        number = match.group("n") or match.group("n2")
        unit = match.group("unit") or match.group("unit2")
        count = int(number) if number.isdigit() else NUMBER_WORDS[number]
        if unit.startswith("day"):
            return base + timedelta(days=count), "relative_days"
        if unit.startswith("week"):
            return base + timedelta(weeks=count), "relative_weeks"
        return _add_months(base, count), "relative_months"
    return None


def _calendar_date(text: str, base: date) -> tuple[date | None, str] | None:
    """The 3rd, Dec 5, 5 December, 2026-12-05, 12/5, (this/next) Friday."""
    if match := re.fullmatch(
        rf"(?:(?:{_WEEKDAY})\s+)?(?:the\s+)?{_ORD}(?:\s+of\s+(?:this|next)\s+month)?{_DAY_PART}", text
    ):
        day = int(match.group("day"))
        if 1 <= day <= 31:
            return _next_day_of_month(base, day), "day_of_month"
    if match := re.fullmatch(
        rf"(?:(?:{_WEEKDAY}),?\s+)?(?P<month>{_MONTH})\.?\s+(?:the\s+)?{_ORD}(?:,?\s+(?P<year>\d{{4}}))?{_DAY_PART}",
        text,
    ):
        month = MONTHS[match.group("month")]
        year = int(match.group("year")) if match.group("year") else None
        return _month_day(base, month, int(match.group("day")), year), "month_day"
    if match := re.fullmatch(
        rf"(?:(?:{_WEEKDAY}),?\s+)?(?:the\s+)?{_ORD}\s+(?:of\s+)?(?P<month>{_MONTH})(?:,?\s+(?P<year>\d{{4}}))?",
        text,
    ):
        month = MONTHS[match.group("month")]
        year = int(match.group("year")) if match.group("year") else None
        return _month_day(base, month, int(match.group("day")), year), "month_day"
    if match := re.fullmatch(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})", text):
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"])), "iso_date"
        except ValueError:
            return None, "invalid_date"
    if match := re.fullmatch(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2,4}))?", text):
        year = int(match["y"]) if match["y"] else None
        if year is not None and year < 100:
            year += 2000
        if 1 <= int(match["m"]) <= 12:
            return _month_day(base, int(match["m"]), int(match["d"]), year), "us_numeric_date"
    if match := re.fullmatch(
        rf"(?P<which>this|next|coming|the coming)?\s*(?P<wd>{_WEEKDAY}){_DAY_PART}(?:\s+next week)?", text
    ):
        target = WEEKDAYS[match.group("wd")]
        which = (match.group("which") or "").strip()
        if which == "next" or text.endswith("next week"):
            monday_next = base - timedelta(days=base.weekday()) + timedelta(days=7)
            return monday_next + timedelta(days=target), "next_weekday"
        if which == "this":
            this_week = base - timedelta(days=base.weekday()) + timedelta(days=target)
            if this_week >= base:
                return this_week, "this_weekday"
        ahead = (target - base.weekday()) % 7 or 7
        return base + timedelta(days=ahead), "weekday"
    return None


def normalize_due(
    text: str | None,
    *,
    meeting: date | datetime,
    timezone: str = "UTC",
    milestones: Sequence[Milestone] = (),
) -> DueDate | None:
    """Resolve a due phrase as said ("by Friday") against the meeting date; None when there is no phrase."""
    if text is None or not text.strip():
        return None
    base = meeting_local_date(meeting, timezone)
    core, before = _strip_prefix(text)
    due, rule, milestone_id, candidates = _resolve_core(core, base, milestones)
    if due is None and rule == "unresolved":
        due, rule = _dateparser_fallback(core, base)
    if due is not None and before:
        due -= timedelta(days=1)
        rule = f"before_{rule}"
    return DueDate(
        text=text.strip(), due=due, rule=rule, milestone_id=milestone_id, milestone_candidates=candidates
    )


def _dateparser_fallback(text: str, base: date) -> tuple[date | None, str]:
    # Only for phrases that name a date-like thing; dateparser is lenient enough to "parse" words.
    if not re.search(rf"\d|\b(?:{_MONTH}|{_WEEKDAY})\b", text):
        return None, "unresolved"
    import dateparser  # imported here: it loads its language data on first use

    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime(base.year, base.month, base.day, 12, 0),
            "PREFER_DATES_FROM": "future",
            "REQUIRE_PARTS": ["day"],
        },
    )
    return (parsed.date(), "dateparser") if parsed is not None else (None, "unresolved")


# A due phrase inside a sentence: what `find_due_phrase` looks for (used by the offline engine).
_DUE_CORE = (
    rf"today|tonight|tomorrow{_DAY_PART}|(?:the )?day after tomorrow|(?:the )?end of (?:the )?(?:day|week|month|quarter|year)"
    rf"|end of next (?:week|month|quarter)|eod|eow|eom|eoq|eoy|cob|close of business|this week|next week"
    rf"|(?:this |next |coming )?(?:{_WEEKDAY})(?:\s+the\s+\d{{1,2}}(?:st|nd|rd|th)?)?{_DAY_PART}"
    rf"|the \d{{1,2}}(?:st|nd|rd|th)|(?:{_MONTH})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTH})|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|(?:in|within) (?:{_NUM}) (?:days?|weeks?|months?)|thanksgiving|christmas"
)
_DUE_IN_SENTENCE = re.compile(
    rf"\b(?:(?:by|before|until|till|on|due|no later than|ahead of)\s+)?(?:{_DUE_CORE})\b"
    rf"|\b(?:before|by|ahead of)\s+the\s+(?:[a-z0-9-]+\s+){{0,3}}?(?:freeze|launch|release|cutover|go/no-go|go-live|deadline|milestone|demo|review|gate)\b",
    re.I,
)


_OBJECT_DATE_BEFORE = re.compile(r"\b(?:for|of|since|from|after)\s*$", re.I)


def find_due_phrase(sentence: str) -> str | None:
    """The due-date phrase of a sentence ("by Friday", "before the code freeze"), if any.

    With several dates the first one that is not the date of a thing rather than the deadline
    wins: "book the game day for the 24th today" is due today ("for X", "of X" name a thing's
    date unless no other date is said), and "Thursday's agenda" is never a due date.
    """
    matches = list(_DUE_IN_SENTENCE.finditer(sentence))
    if not matches:
        return None
    matches = [m for m in matches if sentence[m.end() : m.end() + 2] not in ("'s", "\u2019s")]
    for match in matches:
        if not _OBJECT_DATE_BEFORE.search(sentence[: match.start()]):
            return match.group(0).strip()
    return matches[0].group(0).strip() if matches else None
