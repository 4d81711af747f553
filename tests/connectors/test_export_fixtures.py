"""Every transcript export people actually have, read through `read_bytes` (the entry point of
uploads and files): speakers, times and text per turn. The files under fixtures/exports are small
files written for these tests in each export's real layout (line endings and encodings included)."""

from __future__ import annotations

import codecs
import json
from datetime import date
from pathlib import Path

import pytest

from pilot.connectors.files import TEXT_SUFFIXES, FileSource, read_bytes
from pilot.domain.documents import Document
from pilot.domain.errors import ErrorCode, PilotError

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
Row = tuple[str | None, float | None, float | None, str]


def read(name: str) -> Document:
    path = FIXTURES / name
    batch = read_bytes(path.read_bytes(), path.name, "p1")
    assert not batch.failures and len(batch.documents) == 1
    return batch.documents[0]


def rows(doc: Document) -> list[Row]:
    return [(t.speaker, t.start, t.end, t.text) for t in doc.turns]


EXPECTED: dict[str, tuple[str, list[Row]]] = {
    "zoom_captions/meeting_saved_closed_caption.txt": ("zoom captions", [
        ("Marta Quispe", 0.0, None,
         "Okay, let's get going. First the migration window. Jonas, where are we on the rollback script?"),
        ("Jonas Brandt", 14.0, None, "It's written. I'll have it reviewed by Thursday."),
        ("Li Wei - PMO", 25.0, None, "Then we keep the 9th as the cutover date. Agreed by everyone here?"),
        ("Marta Quispe", 36.0, None, "Agreed."),
    ]),
    "zoom_chat_old/meeting_saved_chat.txt": ("zoom chat", [
        ("Marta Quispe", 0.0, None, "Agenda is in the doc, link below"),
        ("Marta Quispe", 8.0, None, "https://example.com/doc/42"),
        ("Jonas Brandt / Platform", 153.0, None, "I will send the rollback plan to Li by Friday: it needs sign-off"),
        ("Li Wei", 170.0, None, "thanks, ping me when it is up"),
        ("Sam O'Neill", 258.0, None, "Reply to everyone here: the vendor moved the date to the 12th"),
        ("Sam O'Neill", 288.0, None, "Adding to the list : load test results"),
    ]),
    "zoom_chat_new/meeting_saved_chat.txt": ("zoom chat", [
        ("Marta Quispe", 0.0, None, "Morning all, notes doc: https://example.com/notes"),
        ("Jonas Brandt", 95.0, None, "Two things: 1. staging is frozen from Wednesday 2. I will own the DNS change"),
        ("Li Wei", 117.0, None, "can you also check the certs?"),
        ("Sam O'Neill", 190.0, None, 'Replying to "Two things:" Agreed, to be safe: freeze on Tuesday instead'),
    ]),
    "cues_without_blank_lines.vtt": ("webvtt", [
        ("Marta Quispe", 1.0, 3.5, "We ship on the 9th."),
        ("Jonas Brandt", 3.5, 8.25, "Then I'll freeze staging on Wednesday. And tell the vendor."),
        ("Li Wei", 8.25, 10.0, "Works for me."),
    ]),
    "youtube_auto.vtt": ("webvtt", [
        (None, 0.48, 2.95, "okay so the release"),
        (None, 2.96, 5.19, "slips to next week"),
        (None, 5.2, 7.4, "because of the audit"),
    ]),
    "teams_old.vtt": ("webvtt", [
        ("Marta Quispe", 0.0, 4.2, "Budget review first & then risks."),
        ("Jonas Brandt", 4.5, 9.75, "I\u2019ll have the estimate by Friday."),
        (None, 4.5, 9.75, "(inaudible)"),
        ("Sam O'Neill", 10.0, 12.0, "The vendor\u2019s quote is late."),
        ("Li Wei", 12.5, 15.0, "Then we wait <until Monday>."),
    ]),
    "livestream_100h.vtt": ("webvtt", [
        ("Host", 359998.0, 360003.0, "Still here at hour one hundred. Thanks for staying."),
        ("Guest", 360003.0, 360005.5, "Ship it."),
    ]),
    "youtube.sbv": ("sbv", [
        ("Marta", 0.599, 4.16, "Welcome to the quarterly planning review."),
        ("Jonas", 4.16, 9.0, "Thanks. I'll start with the roadmap. The first item is the billing migration."),
        (None, 9.0, 10.5, "Who owns the vendor call?"),
    ]),
    "edge_cases.srt": ("srt", [
        ("Marta", 1.0, 3.2, "Quick one today."),
        ("Jonas", 3.4, 6.0, "I'll update the runbook tonight."),
        ("Marta", 6.1, 8.0, "Thanks & see you."),
        ("Li", 9.5, 11.0, "Done."),
    ]),
    "gb2312.srt": ("srt", [
        ("王伟", 1.0, 4.0, "我们周五之前完成数据迁移。"),
        ("李娜", 4.5, 7.0, "好的，我负责回归测试，下周一给结果。"),
        ("王伟", 7.5, 9.0, "谢谢。"),
    ]),
    "utf32le.vtt": ("webvtt", [
        ("Zoë Brandt", 0.0, 2.0, "Grüße, the déploiement is on."),
        ("Li Wei", 2.0, 4.0, "Good."),
    ]),
    "utf16be_bom.srt": ("srt", [("Zoë", 0.0, 2.0, "Ready.")]),
    "meetingbank.json": ("json", [
        ("Speaker 0", 0.0, 3.4, "The meeting will come to order."),
        ("Speaker 1", 3.4, 8.9, "Thank you. I move to approve the consent calendar."),
        ("Speaker 0", 9.1, 14.25, "Seconded. Staff will report back by the 24th."),
    ]),
    "assemblyai.json": ("json", [
        ("Speaker A", 0.25, 2.13, "We freeze on Friday."),
        ("Speaker B", 2.4, 3.65, "Fine by me."),
        ("Speaker A", 4.1, 6.02, "Then Priya books the room."),
    ]),
    "utterances_ms.json": ("json", [
        ("Marta Quispe", 1.2, 3.4, "Can you own the DNS change?"),
        ("Jonas Brandt", 3.6, 5.05, "Yes, by Wednesday."),
    ]),
    "generic.json": ("json", [
        ("Marta Quispe", 1.5, 4.0, "Risk: the vendor API is still in beta."),
        ("Jonas Brandt", 4.5, 6.0, "I'll ask them for a date."),
    ]),
    "whisper_cpp.json": ("json", [
        (None, 0.0, 3.12, "We freeze on Friday."),
        (None, 3.12, 5.6, "The audit is next week."),
    ]),
    "turns.jsonl": ("jsonl", [
        ("Marta Quispe", 0.0, 1.8, "Status first."),
        ("Li Wei", 2.0, 4.4, "Green, except the audit."),
        ("Marta Quispe", 4.6, 5.9, "Then the audit."),
    ]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_export_gives_speakers_times_and_text_per_turn(name: str) -> None:
    doc = read(name)
    fmt, expected = EXPECTED[name]
    assert doc.metadata["format"] == fmt
    assert rows(doc) == expected
    assert "\x00" not in doc.text and all("\x00" not in t.text for t in doc.turns)


def test_every_fixture_file_has_expectations() -> None:
    files = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.is_file()}
    exports = {n for n in files if n.startswith(("github_", "pagerduty_", "jira_"))}
    assert files - exports == set(EXPECTED)
    assert all(Path(n).suffix in TEXT_SUFFIXES for n in files)  # a folder ingest picks every one up


def test_zoom_times_of_day_are_kept_as_the_clock_start() -> None:
    assert read("zoom_captions/meeting_saved_closed_caption.txt").metadata["clock_start"] == "14:02:05"
    chat = read("zoom_chat_old/meeting_saved_chat.txt")
    assert chat.metadata["clock_start"] == "10:01:12" and chat.metadata["private_messages"] == "1"


def test_zoom_captions_across_midnight_keep_counting() -> None:
    data = b"[Ana Ruiz] 23:59:50\nLast item.\n\n[Bo Chen] 00:00:10\nDone.\n"
    doc = read_bytes(data, "meeting_saved_closed_caption.txt", "p1").documents[0]
    assert [(t.speaker, t.start) for t in doc.turns] == [("Ana Ruiz", 0.0), ("Bo Chen", 20.0)]


def test_a_chat_message_that_says_to_someone_does_not_change_the_sender() -> None:
    data = b"11:00:01\t From Ana Ruiz : Note to Bo Chen(Privately) : check the certs\n" * 2
    doc = read_bytes(data, "meeting_saved_chat.txt", "p1").documents[0]
    assert {t.speaker for t in doc.turns} == {"Ana Ruiz"}
    assert doc.turns[0].text == "Note to Bo Chen(Privately) : check the certs"


def test_vtt_notes_are_never_the_title_and_the_signature_line_is() -> None:
    assert read("teams_old.vtt").title == "teams_old"
    assert read("livestream_100h.vtt").title == "Release livestream"


def test_detected_encodings_are_said_in_the_warnings() -> None:
    assert any("GB18030" in w and "Chinese" in w for w in read("gb2312.srt").warnings)
    assert not any("UTF-8" in w for w in read("utf32le.vtt").warnings)


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_without_a_byte_order_mark_is_read_with_a_warning(codec: str) -> None:
    data = "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Ana Ruiz>Ready.</v>\n".encode(codec)
    doc = read_bytes(data, "x.vtt", "p1").documents[0]
    assert rows(doc) == [("Ana Ruiz", 0.0, 1.0, "Ready.")]
    assert any(codec.upper() in w for w in doc.warnings)


def test_a_utf32_bom_is_not_taken_for_utf16() -> None:
    data = codecs.BOM_UTF32_LE + "Ana Ruiz: I'll send it.\n".encode("utf-32-le")
    doc = read_bytes(data, "notes.txt", "p1").documents[0]
    assert rows(doc) == [("Ana Ruiz", None, None, "I'll send it.")]


def test_nul_escaped_in_json_is_stripped_with_a_warning() -> None:
    data = json.dumps([{"speaker": "Ana\u0000 Ruiz", "text": "Ship\u0000 it.", "start": 1}]).encode()
    doc = read_bytes(data, "turns.json", "p1").documents[0]
    assert rows(doc) == [("Ana Ruiz", 1.0, None, "Ship it.")]
    assert "2 NUL character(s) removed" in doc.warnings and "\x00" not in doc.text


def test_text_that_is_mostly_nul_is_refused_not_stored() -> None:
    data = codecs.BOM_UTF16_LE + "Ana: hi\n".encode("utf-32-le")  # UTF-32 behind a UTF-16 mark
    with pytest.raises(PilotError) as raised:
        read_bytes(data, "x.txt", "p1")
    assert raised.value.code == ErrorCode.INVALID_INPUT and "NUL" in raised.value.message


def test_a_json_lines_file_with_a_broken_line_says_which() -> None:
    data = b'{"speaker": "Ana", "text": "one"}\n{"speaker": "Bo", "text": \n'
    with pytest.raises(PilotError) as raised:
        read_bytes(data, "turns.jsonl", "p1")
    assert "line 2" in raised.value.message


def test_json_lines_saved_as_json_are_read_as_lines() -> None:
    doc = read_bytes((FIXTURES / "turns.jsonl").read_bytes(), "turns.json", "p1").documents[0]
    assert doc.metadata["format"] == "jsonl" and len(doc.turns) == 3


# --- saved API answers ---------------------------------------------------------------------------


def batch(name: str):  # type: ignore[no-untyped-def]
    path = FIXTURES / name
    return read_bytes(path.read_bytes(), path.name, "p1")


def test_github_issues_with_a_null_pull_request_url_are_issues() -> None:
    found = batch("github_issues_older.json")
    kinds = {d.external_id: d.metadata["issue_type"] for d in found.documents}
    assert kinds == {"northwind/billing#311": "issue", "northwind/billing#312": "issue",
                     "northwind/billing#315": "pull_request"}  # fmt: skip
    assert not found.failures
    docs = {d.external_id: d for d in found.documents}
    assert docs["northwind/billing#312"].metadata["labels"] == ["docs"]


def test_a_saved_search_issues_answer_is_an_export() -> None:
    found = batch("github_search_issues.json")
    assert not found.failures
    docs = {d.external_id: d for d in found.documents}
    assert set(docs) == {"northwind/billing#311", "northwind/infra#48", "northwind/billing#315"}
    assert docs["northwind/billing#311"].metadata["is_pull_request"] is False
    assert docs["northwind/billing#315"].metadata["is_pull_request"] is True
    assert docs["northwind/infra#48"].url == "https://github.com/northwind/infra/issues/48"  # html_url null


def test_pagerduty_assignees_without_summary_use_the_reference_or_are_left_out() -> None:
    found = batch("pagerduty_incidents.json")
    assignees = {d.external_id: d.metadata.get("assignee") for d in found.documents}
    assert assignees == {
        "Q2X8V1KD0ZR4": "PXPGF42",
        "Q0RL3B7NN4C2": "Jonas Brandt, PXPGF42",
        "Q9NOASSIGN": None,
    }
    assert all(", ," not in d.text and "Assignee: ," not in d.text for d in found.documents)


def test_jira_epoch_millis_and_offsets_parse_and_a_malformed_issue_is_one_failure() -> None:
    found = batch("jira_search.json")
    docs = {d.external_id: d for d in found.documents}
    assert set(docs) == {"ED-1", "ED-2"}
    assert docs["ED-1"].updated_at is not None and docs["ED-1"].updated_at.timestamp() == 0.001
    assert "Reproduced on staging." in docs["ED-1"].text  # comments given as a list
    assert (
        docs["ED-2"].updated_at is not None
        and docs["ED-2"].updated_at.isoformat() == "2026-11-18T16:40:12.311000+00:00"
    )
    assert [(f.external_id, f.error) for f in found.failures] == [("ED-3", "unreadable time 'last Tuesday'")]


def test_one_issue_saved_from_get_issue_is_an_export() -> None:
    page = json.loads((FIXTURES / "jira_search.json").read_text())
    data = json.dumps(page["issues"][1]).encode()
    found = read_bytes(data, "ED-2.json", "p1")
    assert [d.external_id for d in found.documents] == ["ED-2"]


def test_arrow_like_lines_before_a_timing_line_do_not_take_its_cue() -> None:
    text = (
        "WEBVTT\n\n-->\n00:00:00.000 --> 00:00:01.000\nfirst\n\nnote-->\n00:00:01.000 --> 00:00:02.000\nsecond\n\n"
        "00:00:02.000 -->\n00:00:02.000 --> 00:00:03.000\nthird\n\n->\n00:00:03.000 --> 00:00:04.000\nfourth\n"
    )
    doc = read_bytes(text.encode(), "arrows.vtt", "p1").documents[0]
    assert rows(doc) == [(None, 0.0, 1.0, "first"), (None, 1.0, 2.0, "second"),
                         (None, 2.0, 3.0, "third"), (None, 3.0, 4.0, "fourth")]  # fmt: skip
    assert not any("timings" in w for w in doc.warnings)


def test_cues_in_minutes_and_seconds_without_blank_lines() -> None:
    text = "WEBVTT\n\n00:00.000 --> 00:01.000\nOne\n00:01.000 --> 00:02.000\nTwo\n\n00:02.000 --> 00:03.500\nThree\n"
    doc = read_bytes(text.encode(), "cue-spacing.vtt", "p1").documents[0]
    assert rows(doc) == [(None, 0.0, 1.0, "One"), (None, 1.0, 2.0, "Two"), (None, 2.0, 3.5, "Three")]


def test_zoom_files_in_their_recording_folder_take_its_date_and_topic(tmp_path: Path) -> None:
    folder = tmp_path / "zoom" / "2026-11-16 10.00.00 Billing cutover sync 81234567890"
    folder.mkdir(parents=True)
    source = FIXTURES / "zoom_chat_new" / "meeting_saved_chat.txt"
    (folder / "meeting_saved_chat.txt").write_bytes(source.read_bytes())
    (doc,) = [d for b in FileSource([tmp_path / "zoom"]).pull("p1", None) for d in b.documents]
    assert doc.meeting_date == date(2026, 11, 16) and doc.title == "Billing cutover sync"
    assert len(doc.turns) == 4
