"""`ingest_paths` and `ingest_upload`: stored before indexed, idempotent, one bad file a failure,
never a half-written document, and index failures retried by the next run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.context import Pilot
from pilot.pipeline.ingest import ingest_paths, ingest_upload, list_documents
from pilot.sample import SAMPLE_PROGRAM_ID, sample_dir, transcripts_dir
from pilot.store.documents import list_document_rows

from .fakes import FakeIndex

P = SAMPLE_PROGRAM_ID
VTT = transcripts_dir() / "2026-11-16-cutover-sync.vtt"


def stored(pilot: Pilot) -> dict[str, tuple[str, str]]:
    with pilot.db.transaction() as session:
        return {f"{r.source}:{r.external_id}": (r.content_hash, r.index_state)
                for r in list_document_rows(session, P)}  # fmt: skip


def test_the_sample_is_stored_indexed_and_a_second_run_changes_nothing(
    pilot: Pilot, fake_index: FakeIndex
) -> None:
    seen: list[tuple[str, int, int]] = []
    first = ingest_paths(pilot, P, [sample_dir()], index=fake_index, progress=lambda *a: seen.append(a))
    # The 13 Jira issues come twice (API pages and CSV), and 2 GitHub items twice (the first page
    # and the closed items of SDK v3.0): stored once, the repeats reported. Plus 92 Jira issues of
    # the epics' history, 26 more closed GitHub issues and 7 earlier meetings.
    assert first.created == 13 + 92 + 8 + 26 + 5 + 3 + 7 and first.updated == 0
    assert sum("also in" in f.error for f in first.failures) == 13 + 2 and len(first.failures) == 13 + 2
    assert first.indexed_documents == first.created and set(fake_index.documents) == set(stored(pilot))
    assert all(state == "indexed" for _, state in stored(pilot).values())
    assert seen[-1][0] == "indexing" and any(what == "storing" for what, _, _ in seen)

    fake_index.added.clear()
    again = ingest_paths(pilot, P, [sample_dir()], index=fake_index)
    assert again.unchanged == first.created and again.created == again.updated == 0
    assert fake_index.added == [] and again.indexed_documents == 0


def test_a_changed_file_is_updated_and_reindexed_alone(
    pilot: Pilot, fake_index: FakeIndex, tmp_path: Path
) -> None:
    notes = tmp_path / "2026-11-18-sync.md"
    notes.write_text("Ana: the vendor SDK is late.\n")
    shutil.copy(VTT, tmp_path / VTT.name)
    ingest_paths(pilot, P, [tmp_path], index=fake_index)
    fake_index.added.clear()
    notes.write_text("Ana: the vendor SDK is late.\nBen: I'll chase them by Friday.\n")
    report = ingest_paths(pilot, P, [tmp_path], index=fake_index)
    assert (report.updated, report.unchanged) == (1, 1)
    key = f"file:{tmp_path.name}/{notes.name}"  # the folder's name and the path inside it
    assert fake_index.added == [key]
    assert "chase them" in fake_index.documents[key].text


def test_bad_files_are_failures_and_nothing_half_written_is_stored(
    pilot: Pilot, fake_index: FakeIndex, tmp_path: Path
) -> None:
    shutil.copy(VTT, tmp_path / VTT.name)
    (tmp_path / "empty.vtt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "cut.json").write_text('{"turns": [{"speaker": "Ana", "text": "I will')  # truncated upload
    report = ingest_paths(pilot, P, [tmp_path], index=fake_index)
    assert report.created == 1
    failed = {Path(f.external_id or "").name: f.error for f in report.failures}
    assert set(failed) == {"empty.vtt", "binary.txt", "cut.json"}
    assert "invalid JSON" in failed["cut.json"]
    assert list(stored(pilot)) == [f"file:{tmp_path.name}/{VTT.name}"]


def test_a_file_over_the_size_limit_is_refused(pilot: Pilot, fake_index: FakeIndex, tmp_path: Path) -> None:
    pilot.settings.max_transcript_bytes = 1000
    big = tmp_path / "big.txt"
    big.write_text("Ana: words\n" * 200)
    report = ingest_paths(pilot, P, [big], index=fake_index)
    assert report.created == 0 and "limit" in report.failures[0].error and stored(pilot) == {}


def test_an_index_failure_leaves_documents_failed_and_the_next_run_indexes_them(
    pilot: Pilot, fake_index: FakeIndex
) -> None:
    fake_index.fail_adds = 1
    first = ingest_paths(pilot, P, [VTT], index=fake_index)
    assert first.created == 1 and first.index_failures == 1 and fake_index.documents == {}
    with pilot.db.transaction() as session:
        row = list_document_rows(session, P)[0]
        assert row.index_state == "failed" and "vector store unavailable" in (row.index_error or "")
    second = ingest_paths(pilot, P, [VTT], index=fake_index)
    assert second.unchanged == 1 and second.indexed_documents == 1 and len(fake_index.documents) == 1


def test_an_unknown_program_is_refused_before_any_work(pilot: Pilot, fake_index: FakeIndex) -> None:
    with pytest.raises(PilotError) as raised:
        ingest_paths(pilot, "nope", [VTT], index=fake_index)
    assert raised.value.code == ErrorCode.NOT_FOUND and fake_index.added == []


def test_an_upload_twice_is_one_document_and_a_bad_upload_stores_nothing(
    pilot: Pilot, fake_index: FakeIndex
) -> None:
    data = VTT.read_bytes()
    first = ingest_upload(pilot, P, data, "meeting.vtt", index=fake_index)
    again = ingest_upload(pilot, P, data, "meeting.vtt", index=fake_index)
    assert (first.created, again.unchanged) == (1, 1) and len(stored(pilot)) == 1
    summary = first.documents[0]
    assert (
        summary.turns == 67
        and summary.meeting_date is not None
        and summary.key.startswith("upload:meeting.vtt#")
    )
    with pytest.raises(PilotError) as raised:
        ingest_upload(pilot, P, b"\x00\x01\x02" * 100, "meeting.vtt", index=fake_index)
    assert raised.value.code == ErrorCode.INVALID_INPUT and "binary" in raised.value.message
    assert len(stored(pilot)) == 1


def test_listing_is_newest_first_without_text_and_filters(pilot: Pilot, fake_index: FakeIndex) -> None:
    ingest_paths(pilot, P, [sample_dir()], index=fake_index)
    tickets = list_documents(pilot, P, kind="ticket", limit=5)
    assert len(tickets) == 5 and all(d.kind == "ticket" for d in tickets)
    incidents = list_documents(pilot, P, source="pagerduty")
    assert len(incidents) == 5 and all(d.index_state == "indexed" for d in incidents)
    page2 = list_documents(pilot, P, limit=5, offset=5)
    assert {d.id for d in page2}.isdisjoint({d.id for d in list_documents(pilot, P, limit=5)})


def test_file_keys_do_not_depend_on_where_the_folder_is(
    pilot: Pilot, fake_index: FakeIndex, tmp_path: Path
) -> None:
    for machine in ("laptop", "ci-runner"):
        folder = tmp_path / machine / "meetings"
        (folder / "2026-11").mkdir(parents=True)
        shutil.copy(VTT, folder / "2026-11" / VTT.name)
        report = ingest_paths(pilot, P, [folder], index=fake_index)
    assert (report.created, report.unchanged) == (0, 1)
    assert list(stored(pilot)) == [f"file:meetings/2026-11/{VTT.name}"]
    ingest_paths(pilot, P, [folder / "2026-11" / VTT.name], index=fake_index)  # named directly: its file name
    assert sorted(stored(pilot)) == [f"file:{VTT.name}", f"file:meetings/2026-11/{VTT.name}"]


def test_a_document_stored_under_an_absolute_path_is_adopted_not_duplicated(
    pilot: Pilot, fake_index: FakeIndex, tmp_path: Path
) -> None:
    copy = tmp_path / VTT.name
    shutil.copy(VTT, copy)
    legacy = ingest_paths(pilot, P, [copy], index=fake_index).documents[0]
    with pilot.db.transaction() as session:  # as versions before 0003 keyed it
        row = list_document_rows(session, P)[0]
        row.external_id = str(copy.resolve())
        document_id = row.id
    report = ingest_paths(pilot, P, [copy], index=fake_index)
    assert report.created == 0 and report.indexed_documents == 1
    with pilot.db.transaction() as session:
        rows = list_document_rows(session, P)
        assert [(r.id, r.external_id, r.index_state) for r in rows] == [(document_id, VTT.name, "indexed")]
    assert fake_index.removed == [f"file:{copy.resolve()}"] and legacy.key == f"file:{VTT.name}"
