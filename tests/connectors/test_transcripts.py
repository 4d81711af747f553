"""Transcript parsing: every format on real-shaped input, and damaged input that must give a clear
error or a best-effort parse with a warning, never a crash and never a half-built document."""

from __future__ import annotations

import codecs
import json
from datetime import date

import pytest

from pilot.connectors.transcripts import parse_transcript
from pilot.domain.documents import DocumentKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.sample import transcripts_dir


def parse(data: bytes | str, filename: str = "meeting.txt", **kwargs: object) -> object:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return parse_transcript(raw, filename=filename, program_id="p1", **kwargs)  # type: ignore[arg-type]


ZOOM_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.500
Dana Whitfield: Morning. Omar, where is the runbook?

2
00:00:05.000 --> 00:00:08.000
Omar Farouk: I'll have it done by Friday.

3
00:00:08.100 --> 00:00:09.000
Omar Farouk: Promise.
"""

GOOGLE_MEET_VTT = """WEBVTT

00:00:01.000 --> 00:00:03.000
<v.loud Priya Raman>We agreed to hold the date.</v>

00:00:03.500 --> 00:00:06.000
<v Marcus Oyelaran><c.yellow>The risk</c> is the <i>settlement</i> file.</v>
"""

SRT = """1
00:00:03,000 --> 00:00:10,868
Marcus: Morning, everyone.

2
00:00:12,868 --> 00:00:19,158
Samir: I'll send the parity report by Thursday.
"""

OTTER = """Dana Whitfield  0:02
Okay, let's start with the backfill.

Nora Fischer  0:15
It is at seventy percent. I'll finish it tomorrow.

Dana Whitfield  1:02:03
Thanks.
"""

NOTES = """# Ledger sync 2026-11-19

- **Date:** 2026-11-19
- **Attendees:** Dana, Nora

Dana: Where are we on parity?
Nora: 99.97% today.
It should reach 99.99% by Friday.
Action: Nora to publish the parity report.
"""


def test_zoom_vtt_with_speaker_prefixes_merges_one_speakers_cues() -> None:
    doc = parse(ZOOM_VTT, "zoom.vtt", meeting_date=date(2026, 11, 16))
    assert [(t.speaker, t.start, t.end) for t in doc.turns] == [
        ("Dana Whitfield", 1.0, 4.5), ("Omar Farouk", 5.0, 9.0)]  # fmt: skip
    assert doc.turns[1].text == "I'll have it done by Friday. Promise."
    assert doc.kind == DocumentKind.TRANSCRIPT and doc.meeting_date == date(2026, 11, 16)


def test_vtt_voice_tags_with_classes_and_inline_tags() -> None:
    doc = parse(GOOGLE_MEET_VTT, "meet.vtt")
    assert [(t.speaker, t.text) for t in doc.turns] == [
        ("Priya Raman", "We agreed to hold the date."),
        ("Marcus Oyelaran", "The risk is the settlement file."),
    ]
    assert any("no meeting date" in w for w in doc.warnings)


def test_teams_export_from_the_sample() -> None:
    path = transcripts_dir() / "2026-11-16-cutover-sync.vtt"
    doc = parse(path.read_bytes(), path.name)
    assert doc.meeting_date == date(2026, 11, 16) and len(doc.turns) == 67
    assert doc.title.startswith("Wave 1 cutover sync") and doc.warnings == []
    assert all(t.speaker and t.start is not None for t in doc.turns)


def test_srt_with_name_prefix_and_comma_milliseconds() -> None:
    doc = parse(SRT, "standup-2026-11-19.srt")
    assert [(t.speaker, t.start) for t in doc.turns] == [("Marcus", 3.0), ("Samir", 12.868)]
    assert doc.meeting_date == date(2026, 11, 19)  # from the file name
    assert doc.metadata["format"] == "srt"


def test_otter_blocks_with_hour_timestamps() -> None:
    doc = parse(OTTER, "otter.txt")
    assert [(t.speaker, t.start) for t in doc.turns] == [
        ("Dana Whitfield", 2.0), ("Nora Fischer", 15.0), ("Dana Whitfield", 3723.0)]  # fmt: skip


@pytest.mark.parametrize(
    "payload",
    [
        [{"speaker": "Ana", "text": "I'll do it.", "start": 1.5}],
        {"title": "Sync", "meeting_date": "2026-11-18", "turns": [{"name": "Ana", "content": "I'll do it."}]},
        {"utterances": [{"participant": "Ana", "utterance": "I'll do it.", "start_time": "00:01:05"}]},
    ],
)
def test_json_turns_in_common_shapes(payload: object) -> None:
    doc = parse(json.dumps(payload), "turns.json")
    assert [(t.speaker, t.text) for t in doc.turns] == [("Ana", "I'll do it.")]


def test_markdown_notes_keep_speakers_join_continuations_and_skip_header_fields() -> None:
    doc = parse(NOTES, "notes.md")
    assert doc.kind == DocumentKind.NOTES and doc.title == "Ledger sync 2026-11-19"
    speakers = [t.speaker for t in doc.turns]
    assert "Date" not in speakers and "Attendees" not in speakers and "Action" not in speakers
    nora = [t for t in doc.turns if t.speaker == "Nora"]
    assert nora[0].text == "99.97% today. It should reach 99.99% by Friday."
    assert doc.turns[-1].speaker is None and doc.turns[-1].text.startswith("Action: Nora")


def test_broken_cue_timings_keep_the_text_with_a_warning() -> None:
    broken = ZOOM_VTT.replace("00:00:05.000 --> 00:00:08.000", "00:00:05.000 -> 00:0x:08")
    doc = parse(broken, "zoom.vtt")
    assert any("timings" in w for w in doc.warnings)
    omar = next(t for t in doc.turns if t.speaker == "Omar Farouk")
    assert "done by Friday" in omar.text


def test_missing_timing_line_and_missing_speaker_are_best_effort() -> None:
    text = "WEBVTT\n\n1\nNobody said who this was.\n\n2\n00:00:02.000 --> 00:00:03.000\nAna: Hi.\n"
    doc = parse(text, "x.vtt")
    assert [(t.speaker, t.text) for t in doc.turns] == [(None, "Nobody said who this was."), ("Ana", "Hi.")]
    assert any("timings" in w for w in doc.warnings)


def test_plain_text_without_speakers_warns() -> None:
    doc = parse("we should move the cutover a week\nthe vendor is late\n", "notes.txt")
    assert all(t.speaker is None for t in doc.turns)
    assert any("no speaker names" in w for w in doc.warnings)


@pytest.mark.parametrize(
    ("data", "filename"),
    [(codecs.BOM_UTF8 + ZOOM_VTT.encode(), "bom.vtt"), (ZOOM_VTT.encode("utf-16"), "utf16.vtt")],
)
def test_byte_order_marks(data: bytes, filename: str) -> None:
    doc = parse(data, filename)
    assert doc.turns[0].speaker == "Dana Whitfield" and doc.warnings == [
        w for w in doc.warnings if "date" in w
    ]


def test_latin1_bytes_are_read_with_a_warning() -> None:
    doc = parse("Ren\xe9e M\xfcller: Je m'en occupe vendredi.\n".encode("latin-1"), "latin1.txt")
    assert doc.turns[0].speaker == "Renée Müller"
    assert any("UTF-8" in w for w in doc.warnings)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        (b"WEBVTT\n\n", "no speech"),
        (b"{not json", "invalid JSON"),
    ],
)
def test_unusable_input_is_a_clear_error(data: bytes, message: str) -> None:
    filename = "x.json" if data.startswith(b"{") else "x.vtt"
    with pytest.raises(PilotError) as raised:
        parse(data, filename)
    assert raised.value.code == ErrorCode.INVALID_INPUT and message in raised.value.message


def test_a_50_mb_file_is_refused_before_parsing() -> None:
    line = b"Dana: " + b"word " * 20 + b"\n"
    data = line * (50 * 1024 * 1024 // len(line) + 1)
    with pytest.raises(PilotError) as raised:
        parse(data, "huge.txt")
    assert "larger than the 20 MB limit" in raised.value.message
    assert raised.value.details == {"bytes": len(data), "limit": 20 * 1024 * 1024}
    # ...and a raised limit parses it fully.
    doc = parse(data, "huge.txt", max_bytes=60 * 1024 * 1024)
    assert doc.turns[0].speaker == "Dana"


def test_markdown_notes_from_the_sample_keep_people_and_skip_labels() -> None:
    path = transcripts_dir() / "2026-11-18-risk-review.md"
    doc = parse(path.read_bytes(), path.name)
    assert doc.kind == DocumentKind.NOTES and doc.meeting_date == date(2026, 11, 18)
    assert doc.title == "Risk review: Payments platform migration" and doc.warnings == []
    speakers = {t.speaker for t in doc.turns if t.speaker}
    assert {"Dana", "Grace", "Priya", "Nora"} <= speakers and not speakers & {"Open", "Date", "Attendees"}


def test_srt_from_the_sample() -> None:
    path = transcripts_dir() / "2026-11-19-ledger-standup.srt"
    doc = parse(path.read_bytes(), path.name)
    assert doc.metadata["format"] == "srt" and doc.meeting_date == date(2026, 11, 19)
    assert (doc.turns[0].speaker, doc.turns[0].start, doc.turns[0].end) == ("Marcus", 3.0, 10.868)
    assert all(t.start is not None for t in doc.turns) and doc.warnings == []


def test_utf16_without_a_byte_order_mark_is_read_with_a_warning() -> None:
    doc = parse(ZOOM_VTT.encode("utf-16-le"), "teams.vtt")
    assert doc.turns[0].speaker == "Dana Whitfield" and any("UTF-16-LE" in w for w in doc.warnings)


def test_a_stray_nul_past_the_head_is_dropped_with_a_warning() -> None:
    data = ("Dana: " + "long line " * 8000 + "\n").encode() + b"Omar: I'll do\x00 it.\n"
    doc = parse(data, "notes.txt")
    assert doc.turns[-1].text == "I'll do it." and "\x00" not in doc.text
    assert any("NUL" in w for w in doc.warnings)


def test_json_nested_too_deeply_is_a_clear_error() -> None:
    with pytest.raises(PilotError) as raised:
        parse(b"[" * 100_000 + b"]" * 100_000, "turns.json")
    assert raised.value.code == ErrorCode.INVALID_INPUT and "nested too deeply" in raised.value.message


def test_json_times_that_are_not_times_are_dropped_not_kept() -> None:
    payload = [{"speaker": "Ana", "text": "a", "start": True}, {"speaker": "Ben", "text": "b", "start": 1e400},
               {"speaker": "Cy", "text": "c", "start": -3}, {"speaker": "Di", "text": "d", "start": "0:07"},
               {"speaker": "Ed", "text": 5}]  # fmt: skip
    doc = parse(json.dumps(payload).replace("Infinity", "1e400"), "t.json")
    assert [(t.speaker, t.start) for t in doc.turns] == [
        ("Ana", None),
        ("Ben", None),
        ("Cy", None),
        ("Di", 7.0),
    ]
    assert any("without text were skipped" in w for w in doc.warnings)


def test_otter_text_before_the_first_speaker_is_kept_with_a_warning() -> None:
    doc = parse("Transcribed by otter.ai\n\n" + OTTER, "otter.txt")
    assert doc.turns[0].speaker is None and doc.turns[1].speaker == "Dana Whitfield"
    assert any("before the first speaker" in w for w in doc.warnings)


def test_a_cue_with_a_voice_tag_and_no_name_keeps_its_text() -> None:
    doc = parse("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v >hello there</v>\n", "x.vtt")
    assert [(t.speaker, t.text, t.start) for t in doc.turns] == [(None, "hello there", 1.0)]
    assert any("no speaker names" in w for w in doc.warnings)


GOOGLE_MEET_DOC = """Cutover sync - Transcript
2026-11-16

00:00:00

Dana Whitfield: Morning, all.
Omar Farouk: The runbook is done.
It covers rollback too.
00:05:00

Dana Whitfield: Great, thanks.
"""


def test_google_meet_transcript_document_with_timestamps_every_few_minutes() -> None:
    doc = parse(GOOGLE_MEET_DOC, "Cutover sync - Transcript.txt")
    assert doc.kind == DocumentKind.TRANSCRIPT and doc.metadata["format"] == "timestamped lines"
    assert [(t.speaker, t.start) for t in doc.turns if t.speaker] == [
        ("Dana Whitfield", 0.0), ("Omar Farouk", None), ("Dana Whitfield", 300.0)]  # fmt: skip
    assert (
        next(t.text for t in doc.turns if t.speaker == "Omar Farouk")
        == "The runbook is done. It covers rollback too."
    )
    assert doc.meeting_date == date(2026, 11, 16)


def test_bracketed_timestamps_are_not_mistaken_for_json() -> None:
    text = "[00:00:05] Dana: Morning.\n[00:00:09] Omar: Hi.\nOmar (00:01:10): The runbook.\n"
    doc = parse(text, "export.txt")
    assert [(t.speaker, t.start, t.text) for t in doc.turns] == [
        ("Dana", 5.0, "Morning."), ("Omar", 9.0, "Hi."), ("Omar", 70.0, "The runbook.")]  # fmt: skip


def test_zoom_chat_lines() -> None:
    doc = parse(
        "10:01:23 From Priya Raman to Everyone: the doc link\n10:02:00 From Omar to Dana: ok\n", "chat.txt"
    )
    assert [(t.speaker, t.text) for t in doc.turns] == [("Priya Raman", "the doc link"), ("Omar", "ok")]
