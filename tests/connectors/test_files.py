"""The file source: folders walked, saved exports told apart by their shape, uploads keyed by
content, and a file that cannot be read being one failure among good batches."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pilot.connectors.files import FileSource, export_documents, iter_files, read_bytes, upload_external_id
from pilot.domain.documents import DocumentKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.sample import SAMPLE_PROGRAM_ID, incidents_dir, sample_dir, tickets_dir, transcripts_dir

P = SAMPLE_PROGRAM_ID


def test_the_sample_folder_gives_every_kind_of_document() -> None:
    source = FileSource([sample_dir()], tz=ZoneInfo("America/Los_Angeles"))
    names = {p.name for p in source.files}
    assert "README.md" not in names and not any(n.startswith("pagerduty_notes_") for n in names)
    assert "program.yaml" not in names and "gold.yaml" not in names
    batches = list(source.pull(P, None))
    assert all(b.failures == [] for b in batches), [b.failures for b in batches]
    docs = [d for b in batches for d in b.documents]
    by_source: dict[str, int] = {}
    for doc in docs:
        by_source[doc.source] = by_source.get(doc.source, 0) + 1
    # 13 Jira issues twice (two search pages + the CSV export) and 92 of the milestone epics' history,
    # 8 GitHub items and the 28 closed items of milestone SDK v3.0 (2 of them also in the first page),
    # 5 incidents, 3 meetings and 7 earlier ones (transcripts/earlier); the saved delivery answers
    # (delivery_*.json) are no documents.
    assert by_source == {"jira": 26 + 92, "github": 8 + 28, "pagerduty": 5, "file": 10}
    kinds = {d.kind for d in docs if d.source == "file"}
    assert kinds == {DocumentKind.TRANSCRIPT, DocumentKind.NOTES}
    incident = next(d for d in docs if d.external_id == "Q1KX9W3PZ8D4LM")
    assert "Notes:" in incident.text and "Grace Liu" in incident.text  # notes read from beside it


def test_jira_csv_links_become_keys_and_times_are_read_in_the_given_zone() -> None:
    data = (tickets_dir() / "jira_export.csv").read_bytes()
    batch = read_bytes(data, "jira_export.csv", P, tz=ZoneInfo("America/Los_Angeles"))
    issue = next(d for d in batch.documents if d.external_id == "PAY-1420")
    assert issue.metadata["blocked_by"] == ["PAY-1421"] and issue.metadata["blocks"] == ["PAY-1433"]
    assert issue.metadata["parent"] == "PAY-1100"
    epic = next(d for d in batch.documents if d.external_id == "PAY-1100")
    assert epic.created_at is not None and epic.created_at.isoformat() == "2026-09-28T09:12:00-07:00"
    # The same links as the API pages say.
    api = json.loads((tickets_dir() / "jira_search_page1.json").read_text())
    from_api = export_documents(api, P)
    assert from_api is not None
    same = {d.external_id: d.metadata.get("blocks") for d in from_api.documents}
    csv_links = {d.external_id: d.metadata.get("blocks") for d in batch.documents}
    assert all(csv_links[k] == v for k, v in same.items() if v)


def test_jira_comments_are_part_of_the_text_as_data() -> None:
    api = json.loads((tickets_dir() / "jira_search_page1.json").read_text())
    batch = export_documents(api, P)
    assert batch is not None
    ticket = next(d for d in batch.documents if d.external_id == "PAY-1420")
    assert "Comments:" in ticket.text and "Hannah Cho: AWS confirmed the quota raise" in ticket.text


def test_shapes_that_are_not_exports_are_transcripts() -> None:
    turns = json.dumps([{"speaker": "Ana", "text": "I'll send it."}]).encode()
    batch = read_bytes(turns, "call.json", P, meeting_date=date(2026, 11, 18))
    assert [d.source for d in batch.documents] == ["file"] and batch.documents[0].turns[0].speaker == "Ana"
    assert export_documents({"issues": []}, P) is None  # an empty search page is no export


def test_bad_records_inside_an_export_are_failures_and_the_rest_are_kept() -> None:
    issues = json.loads((tickets_dir() / "github_issues.json").read_text())
    del issues[2]["title"]
    issues[3]["html_url"] = "not a url"
    batch = export_documents(issues, P)
    assert batch is not None and len(batch.documents) == len(issues) - 2
    assert [f.external_id for f in batch.failures] == [str(issues[2]["number"]), str(issues[3]["number"])]
    assert "title" in batch.failures[0].error


def test_a_folder_with_a_broken_file_yields_a_failure_for_it_only(tmp_path: Path) -> None:
    shutil.copy(transcripts_dir() / "2026-11-16-cutover-sync.vtt", tmp_path / "good.vtt")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.md").write_text("Ana: not material")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.md").write_text("Ana: the vendor is late.\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    source = FileSource([tmp_path])
    assert sorted(p.name for p in source.files) == ["empty.txt", "good.vtt", "image.md", "notes.md"]
    batches = list(source.pull(P, None))
    failed = {Path(f.external_id or "").name: f.error for b in batches for f in b.failures}
    assert set(failed) == {"empty.txt", "image.md"}
    assert "empty" in failed["empty.txt"] and "binary" in failed["image.md"]
    assert sum(len(b.documents) for b in batches) == 2


def test_a_large_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as out:
        out.truncate(3 * 1024 * 1024)  # sparse: nothing to read even if it were read
    batches = list(FileSource([big], max_bytes=1024 * 1024).pull(P, None))
    assert batches[0].documents == [] and "larger than the 1 MB limit" in batches[0].failures[0].error


def test_missing_paths_are_an_error_before_anything_is_read(tmp_path: Path) -> None:
    with pytest.raises(PilotError) as raised:
        iter_files([incidents_dir(), tmp_path / "nope.vtt"])
    assert raised.value.code == ErrorCode.INVALID_INPUT and "nope.vtt" in raised.value.message


def test_the_same_path_named_twice_is_read_once() -> None:
    path = transcripts_dir() / "2026-11-19-ledger-standup.srt"
    assert iter_files([path, transcripts_dir()]).count(path) == 1


def test_uploads_are_keyed_by_name_and_content() -> None:
    assert upload_external_id("a.vtt", b"x") == upload_external_id("a.vtt", b"x")
    assert upload_external_id("a.vtt", b"x") != upload_external_id("a.vtt", b"y")
    batch = read_bytes(
        b"Ana: hi", "n.md", P, source="upload", external_id=upload_external_id("n.md", b"Ana: hi")
    )
    assert batch.documents[0].key.startswith("upload:n.md#")
