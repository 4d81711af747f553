"""Meeting effectiveness: series from titles and file names, records citing a meeting, and the
KPI per recurring series with its rules, table-driven (firing, not firing, at the threshold)."""

from __future__ import annotations

from datetime import date

import pytest

from pilot.domain.findings import KpiStatus
from pilot.domain.signals import ProgramSignals
from pilot.rules.meetings import cites, normalise_series, series_of
from pilot.rules.signals import scan_signals

from .conftest import NOW, info, meeting, rule_ids

PROGRAM = "Payments platform migration"


@pytest.mark.parametrize(
    ("title", "filename", "series", "expected"),
    [
        (
            "Wave 1 cutover sync - Payments platform migration",
            "2026-11-16-cutover-sync.vtt",
            None,
            "cutover sync",
        ),
        ("Cutover sync: Payments platform migration", "2026-11-09-cutover-sync.md", None, "cutover sync"),
        ("2026-11-19-ledger-standup", "2026-11-19-ledger-standup.srt", None, "ledger standup"),
        ("Risk review notes (Wed 18 Nov)", "pasted.txt", None, "risk review"),
        ("Weekly sync #47", "upload.vtt", None, "weekly sync"),
        (
            "Anything",
            "2026-11-19-ledger-standup.srt",
            "Ledger Standup",
            "ledger standup",
        ),  # explicit series wins
        ("2026-11-20", "2026-11-20.vtt", None, "untitled"),
    ],
)
def test_series_of_a_meeting(title: str, filename: str, series: str | None, expected: str) -> None:
    assert series_of(title, filename, series, PROGRAM) == expected


def test_normalising_keeps_words_and_drops_dates_numbers_and_noise() -> None:
    assert normalise_series("Cutover sync 2026-11-16 (Monday) notes") == "cutover sync"
    assert normalise_series("Sprint 12 review - Nov 3rd") == "sprint review"


@pytest.mark.parametrize(
    ("said", "cited"),
    [
        ("2026-11-02 cutover sync", True),
        ("transcripts/2026-11-16-cutover-sync.vtt", False),  # another meeting's file
        ("transcripts/2026-11-02-cutover-sync.md", True),
        ("/data/notes/2026-11-02-cutover-sync.md", True),
        ("2026-11-02 risk review", False),
        ("2026-11-09 cutover sync", False),
        ("cutover sync", False),  # no date: could be any of them
        ("", False),
    ],
)
def test_a_record_cites_a_meeting_by_file_name_or_date_and_series(said: str, cited: bool) -> None:
    found = cites(
        said,
        external_id="/srv/x/2026-11-02-cutover-sync.md",
        filename="2026-11-02-cutover-sync.md",
        held_on=date(2026, 11, 2),
        series="cutover sync",
    )
    assert found is cited


SERIES_CASES = [
    # (case, meetings of one series as (days ago, ended with an outcome), tier, fires)
    ("9 of 10 at the tier 1 target of 90%", [(d, d != 4) for d in range(0, 20, 2)], 1, False),
    ("8 of 10 under the target", [(d, d not in (4, 6)) for d in range(0, 20, 2)], 1, True),
    ("8 of 10 meets tier 3's 80%", [(d, d not in (4, 6)) for d in range(0, 20, 2)], 3, False),
    ("every meeting ended with an outcome", [(d, True) for d in (1, 8, 15)], 1, False),
    ("none did", [(d, False) for d in (1, 8, 15)], 1, True),
    ("a single meeting is not a recurring series", [(1, False)], 1, False),
    (
        "meetings older than the 28-day window do not count",
        [(1, True), (8, True), (30, False), (37, False)],
        1,
        False,
    ),
]


@pytest.mark.parametrize(("case", "held", "tier", "fires"), SERIES_CASES, ids=[c[0] for c in SERIES_CASES])
def test_series_outcome_rate(case: str, held: list[tuple[int, bool]], tier: int, fires: bool) -> None:
    meetings = [meeting("cutover sync", days, outcome=ok) for days, ok in held]
    result = scan_signals(info(tier), ProgramSignals(meetings=meetings), NOW)
    assert ("meeting.series_outcome_rate" in rule_ids(result.findings)) is fires, case
    missed = sum(1 for days, ok in held if not ok and days < 28 and len(held) > 1)
    assert rule_ids(result.findings).count("meeting.no_outcome") == missed


def test_meetings_in_review_are_not_counted_yet_and_the_overall_kpi_adds_series_up() -> None:
    meetings = [
        meeting("cutover sync", 1, outcome=True),
        meeting("cutover sync", 8, outcome=False, pending=3),  # drafts still waiting
        meeting("ledger standup", 2, outcome=False),
        meeting("ledger standup", 9, outcome=True),
        meeting("one-off workshop", 3, outcome=False),
    ]
    result = scan_signals(info(), ProgramSignals(meetings=meetings), NOW)
    kpis = {k.kpi_id: k for k in result.kpis}
    assert kpis["meeting_outcome_rate:cutover-sync"].value == 1.0
    assert "1 in review" in kpis["meeting_outcome_rate:cutover-sync"].detail
    assert kpis["meeting_outcome_rate:ledger-standup"].value == 0.5
    assert (kpis["meeting_outcome_rate"].numerator, kpis["meeting_outcome_rate"].denominator) == (2, 3)
    assert kpis["meeting_outcome_rate"].status == KpiStatus.BREACH
    flagged = [f for f in result.findings if f.rule_id == "meeting.no_outcome"]
    assert [f.values["series"] for f in flagged] == [
        "ledger standup"
    ]  # not the one-off, not the one in review


def test_no_meetings_is_no_data_not_a_breach() -> None:
    kpi = scan_signals(info(), ProgramSignals(), NOW).kpis
    assert [k.status for k in kpi if k.kpi_id == "meeting_outcome_rate"] == [KpiStatus.NO_DATA]


def test_a_program_override_moves_the_target() -> None:
    meetings = [meeting("cutover sync", d, outcome=d != 1) for d in (1, 8, 15)]
    assert "meeting.series_outcome_rate" in rule_ids(
        scan_signals(info(), ProgramSignals(meetings=meetings), NOW).findings
    )
    relaxed = info(meeting_outcome_target=0.6)
    assert "meeting.series_outcome_rate" not in rule_ids(
        scan_signals(relaxed, ProgramSignals(meetings=meetings), NOW).findings
    )
