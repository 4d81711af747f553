"""Meeting effectiveness: the share of recurring meetings that end with decisions or actions.

A meeting is a stored transcript or notes document. Its series is the document's `series`
metadata when it has one; otherwise its file name (exports are named "2026-11-16-cutover-sync.vtt")
or, without a dated file name, its title, normalised: lower case, dates, weekdays, months, numbers,
the program's name and words such as "notes" or "transcript" taken out ("Cutover sync 2026-11-16",
"2026-11-23-cutover-sync.md" and "Cutover sync notes (Mon)" are one series). Two documents of one
series on one day are one meeting (a transcript ingested and also pasted for extraction).

A meeting ended with an outcome when an action-item or decision draft from it was approved, or a
program record cites it as its source; one whose drafts are all still pending is "in review" and
not counted yet. A series is recurring once it has `meeting_series_min` meetings in the window.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

from pilot.domain.findings import Finding, KpiStatus, Severity
from pilot.domain.signals import MeetingOutcome
from pilot.rules.base import DetectorOutput, iso, pct, ratio_kpi
from pilot.rules.signals import SignalContext, signal_detector

_DATE = re.compile(r"\b(\d{4})[-_./]?(\d{2})[-_./]?(\d{2})\b")
_NOISE = frozenset(
    "notes note transcript transcripts recording minutes meeting call summary export teams zoom otter meet "
    "mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday "
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august "
    "september october november december week wk the".split()
)
_SUFFIX = re.compile(r"\.(vtt|srt|txt|md|markdown|json|docx?)$", re.I)


def normalise_series(text: str, program_name: str = "") -> str:
    """The series a meeting title or file name belongs to ("" when nothing is left)."""
    cleaned = _SUFFIX.sub("", text.strip()).lower()
    if program_name:
        cleaned = cleaned.replace(program_name.lower(), " ")
    cleaned = _DATE.sub(" ", cleaned)
    words = [w for w in re.split(r"[^a-z0-9&]+", cleaned) if w and not w.isdigit() and w not in _NOISE]
    words = [w for w in words if not re.fullmatch(r"(?:w|wk|v)?\d+(?:st|nd|rd|th)?", w)]
    return " ".join(words)


def series_of(title: str, filename: str | None, series: str | None, program_name: str = "") -> str:
    if series and series.strip():
        return normalise_series(series) or series.strip().lower()
    if filename and _DATE.search(filename):
        found = normalise_series(filename, program_name)
        if found:
            return found
    return (
        normalise_series(title, program_name) or normalise_series(filename or "", program_name) or "untitled"
    )


def cites(
    source_document: str, *, external_id: str, filename: str | None, held_on: date, series: str
) -> bool:
    """Whether a record's `source_document` names this meeting: its id, its file name, or its date
    and series ("2026-11-02 cutover sync")."""
    said = source_document.strip()
    if not said:
        return False
    base = said.replace("\\", "/").rsplit("/", 1)[-1]
    if said == external_id or (filename and base == filename):
        return True
    found = _DATE.search(said)
    if found is None:
        return False
    try:
        day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return False
    return day == held_on and normalise_series(said) == series


def slug(series: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", series.lower()).strip("-") or "untitled"


@signal_detector(
    "meetings",
    "Recurring meetings that end with decisions or actions",
    rules=("meeting.series_outcome_rate", "meeting.no_outcome"),
    kpis=("meeting_outcome_rate",),  # and one "meeting_outcome_rate:<series>" per recurring series
)
def meeting_effectiveness(ctx: SignalContext) -> DetectorOutput:
    out = DetectorOutput()
    since = ctx.today - timedelta(days=ctx.limits.meeting_window_days)
    series: dict[str, list[MeetingOutcome]] = defaultdict(list)
    for meeting in ctx.signals.meetings:
        if since < meeting.held_on <= ctx.today:
            series[meeting.series].append(meeting)
    recurring = {name: ms for name, ms in sorted(series.items()) if len(ms) >= ctx.limits.meeting_series_min}
    target = ctx.limits.meeting_outcome_target
    all_hits = all_counted = 0
    for name, meetings in recurring.items():
        counted = sorted((m for m in meetings if not m.in_review), key=lambda m: m.held_on)
        hits = sum(1 for m in counted if m.has_outcome)
        all_hits, all_counted = all_hits + hits, all_counted + len(counted)
        waiting = len(meetings) - len(counted)
        detail = f"{hits} of {len(counted)} '{name}' meetings since {since}" + (
            f"; {waiting} in review" if waiting else ""
        )
        kpi = ratio_kpi(
            f"meeting_outcome_rate:{slug(name)}",
            f"Meetings with outcomes: {name}",
            hits,
            len(counted),
            target,
            detail=detail,
        )
        out.kpis.append(kpi)
        missed = [m for m in counted if not m.has_outcome]
        if kpi.value is not None and kpi.status != KpiStatus.OK:
            out.findings.append(_series_finding(name, hits, counted, missed, target))
        out.findings.extend(_no_outcome(name, m) for m in missed)
    out.kpis.append(
        ratio_kpi(
            "meeting_outcome_rate",
            "Recurring meetings with decisions or actions",
            all_hits,
            all_counted,
            target,
            detail=f"{all_hits} of {all_counted} meetings in {len(recurring)} recurring series",
        )
    )
    return out


def _series_finding(
    name: str, hits: int, counted: list[MeetingOutcome], missed: list[MeetingOutcome], target: float
) -> Finding:
    return Finding(
        rule_id="meeting.series_outcome_rate",
        severity=Severity.WARNING,
        message=f"'{name}': {hits} of {len(counted)} meetings ended with a decision or an action "
        f"({pct(hits / len(counted))}, target {pct(target)}); none from "
        + ", ".join(str(m.held_on) for m in missed)
        + ".",
        subjects=(f"meeting-series:{slug(name)}",),
        values={"series": name, "target": target, "without": [iso(m.held_on) for m in missed]},
        measures={"with_outcome": hits, "meetings": len(counted)},
        suggested_action="Review the agenda and attendees of this series, or extract and review its transcripts.",
    )


def _no_outcome(name: str, meeting: MeetingOutcome) -> Finding:
    return Finding(
        rule_id="meeting.no_outcome",
        severity=Severity.INFO,
        message=f"The '{name}' meeting of {meeting.held_on} has no decision or action of record.",
        subjects=(f"document:{meeting.document_id}",),
        values={"series": name, "held_on": iso(meeting.held_on)},
        suggested_action="Extract its transcript and review the drafts, or note that nothing was decided.",
    )
