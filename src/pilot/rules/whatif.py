"""What-if questions about the schedule: "what if DEP-4 slips a week?". A small pure recogniser:
the record (a milestone or dependency id of the program, written in any case and with or without
leading zeros) and either a slip ("slips 3 days", "is two weeks late", "pulls in 2 days") or a
new date ("moves to 2026-12-17"). Days are business days; a week is five of them."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_WORDS |= {"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3}
_AMOUNT = r"(\d{1,3}|a couple of|a few|an|a|one|two|three|four|five|six|seven|eight|nine|ten)"
_UNIT = r"(business days?|working days?|work days?|days?|weeks?)"
_ID = re.compile(r"\b([A-Za-z]{1,6})-0*(\d{1,5})\b")
_CUE = re.compile(r"\b(what if|what happens if|what would happen if|suppose|if)\b", re.I)
_LATER = (
    r"(?:slips?|slipped|slipping|is delayed|gets delayed|is late|runs late|moves? out|pushed out|is pushed)"
)
_EARLIER = r"(?:pulls? in|lands? early|is early|comes in early|moves? in)"
_SLIP = re.compile(rf"{_LATER}(?: by)? {_AMOUNT} {_UNIT}|{_AMOUNT} {_UNIT} (?:late|later|of slip|slip)", re.I)
_GAIN = re.compile(rf"{_EARLIER}(?: by)? {_AMOUNT} {_UNIT}|{_AMOUNT} {_UNIT} (?:early|earlier)", re.I)
_TO_DATE = re.compile(
    r"(?:slips?|moves?|pushed|is delayed|lands?) (?:out )?(?:to|until|on) (\d{4}-\d{2}-\d{2})", re.I
)


@dataclass(frozen=True)
class WhatIf:
    record_id: str
    slip_days: int | None = None  # business days (negative: earlier)
    new_date: date | None = None


def parse_what_if(question: str, record_ids: Collection[str]) -> WhatIf | None:
    """The what-if a question asks about one of `record_ids`, or None when it asks no such thing."""
    if not _CUE.search(question):
        return None
    record = _record(question, record_ids)
    if record is None:
        return None
    if match := _TO_DATE.search(question):
        try:
            return WhatIf(record, new_date=date.fromisoformat(match.group(1)))
        except ValueError:
            return None
    for pattern, sign in ((_SLIP, 1), (_GAIN, -1)):
        if match := pattern.search(question):
            groups = [g for g in match.groups() if g]
            return WhatIf(record, slip_days=sign * _business_days(groups[0], groups[1]))
    return None


def _record(question: str, record_ids: Collection[str]) -> str | None:
    known: dict[tuple[str, int], str] = {}
    for record_id in record_ids:
        if parsed := _ID.fullmatch(record_id):
            known.setdefault((parsed.group(1).upper(), int(parsed.group(2))), record_id)
    for match in _ID.finditer(question):
        found = known.get((match.group(1).upper(), int(match.group(2))))
        if found is not None:
            return found
    return None


def _business_days(amount: str, unit: str) -> int:
    count = int(amount) if amount.isdigit() else _WORDS[amount.lower()]
    return count * 5 if unit.lower().startswith("week") else count
