"""The documents endpoints: upload (stored, indexed, warnings back, idempotent, bad files refused
with nothing stored), list, search, and a source sync queued as a job."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from pydantic import SecretStr

from pilot.domain.jobs import JobStatus
from pilot.sample import tickets_dir, transcripts_dir
from tests.api.conftest import PROGRAM, World, build_world

from .fakes import use_memory_vectors

JIRA = "https://acme.atlassian.net"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    use_memory_vectors(monkeypatch)
    w = build_world(tmp_path)
    with w.client:
        yield w
    w.pilot.close()


def upload(world: World, name: str, data: bytes, who: str = "editor", **form: str) -> httpx.Response:
    return world.client.post(f"/programs/{PROGRAM}/documents", files={"file": (name, data)}, data=form,
                             headers=world.headers(who))  # fmt: skip


def documents(world: World, **params: str) -> list[dict[str, object]]:
    response = world.client.get(
        f"/programs/{PROGRAM}/documents", params=params, headers=world.headers("viewer")
    )
    assert response.status_code == 200
    result: list[dict[str, object]] = response.json()
    return result


def finished(world: World, job_id: str) -> dict[str, object]:
    job: dict[str, object] = {}
    for _ in range(400):
        job = world.client.get(f"/programs/{PROGRAM}/jobs/{job_id}", headers=world.headers("viewer")).json()
        if job["status"] in (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value):
            break
        time.sleep(0.05)
    return job


def test_upload_stores_then_a_job_indexes_and_answers_with_the_warnings(world: World) -> None:
    notes = b"Ana: the vendor SDK is late.\nBen: I'll chase the vendor by Friday.\n"
    first = upload(world, "sync-notes.md", notes)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] == 1 and body["indexed_documents"] == 0  # the request never indexes
    job = finished(world, body["index_job"])
    assert job["status"] == "succeeded" and job["kind"] == "index", job
    assert isinstance(job["result"], dict) and job["result"]["indexed_documents"] == 1
    assert any("no meeting date" in w for w in body["documents"][0]["warnings"])
    again = upload(world, "sync-notes.md", notes, meeting_date="2026-11-18")
    assert again.json()["unchanged"] == 1  # same name and bytes: the same document
    listed = documents(world)
    assert len(listed) == 1 and listed[0]["index_state"] == "indexed" and listed[0]["source"] == "upload"
    hits = world.client.get(
        f"/programs/{PROGRAM}/search", params={"q": "vendor late"}, headers=world.headers("viewer")
    )
    assert hits.status_code == 200 and hits.json()[0]["document_key"].startswith("upload:sync-notes.md#")
    parts = dict(item.split(";dur=") for item in hits.headers["server-timing"].split(", "))
    assert {"embed", "vector", "keyword", "fusion", "fetch", "search"} <= set(parts)
    assert all(float(ms) >= 0 for ms in parts.values()) and float(parts["search"]) >= float(parts["fetch"])


def test_an_export_upload_gives_its_records(world: World) -> None:
    response = upload(world, "jira_export.csv", (tickets_dir() / "jira_export.csv").read_bytes())
    assert response.status_code == 201 and response.json()["created"] == 13
    assert len(documents(world, source="jira", limit="5")) == 5


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [("empty.vtt", b"", "empty"), ("scan.txt", bytes(range(256)) * 40, "binary"),
     ("turns.json", b'{"turns": [', "invalid JSON"), ("captions.vtt", b"WEBVTT\n\n", "no speech")],
)  # fmt: skip
def test_unusable_uploads_are_422_with_nothing_stored(
    world: World, name: str, data: bytes, message: str
) -> None:
    response = upload(world, name, data)
    assert response.status_code == 422 and message in response.json()["error"]["message"]
    assert documents(world) == []


def test_an_upload_over_the_limit_is_refused_before_parsing(world: World) -> None:
    world.pilot.settings.max_transcript_bytes = 2048
    response = upload(world, "long.vtt", (transcripts_dir() / "2026-11-16-cutover-sync.vtt").read_bytes())
    assert response.status_code == 422 and "2048" in json.dumps(response.json()["error"]["details"])
    assert documents(world) == []


def test_a_viewer_cannot_upload(world: World) -> None:
    assert upload(world, "n.md", b"Ana: hi", who="viewer").status_code == 403


def test_sync_is_queued_as_a_job_and_its_report_is_the_result(
    world: World, respx_mock: respx.MockRouter
) -> None:
    settings = world.pilot.settings
    settings.jira_url, settings.jira_email, settings.jira_jql = JIRA, "pm@acme.example", "project = CHK"
    settings.jira_api_token = SecretStr("token")
    page = json.loads((tickets_dir() / "jira_search_page2.json").read_text())
    census = {"issues": [{"id": i["id"], "key": i["key"]} for i in page["issues"]], "isLast": True}
    respx_mock.get(url__startswith=f"{JIRA}/rest/api/3/search/jql").mock(
        side_effect=[httpx.Response(200, json=page), httpx.Response(200, json=census)]
    )
    response = world.client.post(f"/programs/{PROGRAM}/sync/jira", headers=world.headers("editor"))
    assert response.status_code == 202, response.text
    job = finished(world, response.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["created"] == len(page["issues"])
    assert len(documents(world, source="jira")) == len(page["issues"])


def test_documents_left_pending_by_a_crash_are_indexed_by_a_job_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 between storing and indexing leaves documents `pending`: the next start indexes them
    in a background job, not inside somebody's next upload request."""
    from pilot.domain.documents import Document, DocumentKind
    from pilot.store.documents import upsert_document

    use_memory_vectors(monkeypatch)
    w = build_world(tmp_path)
    left = Document(
        program_id=PROGRAM,
        source="upload",
        external_id="left.md#1",
        kind=DocumentKind.NOTES,
        title="left",
        text="Ana: the vendor SDK is late.",
    )
    with w.pilot.db.transaction() as session:
        upsert_document(session, left, w.pilot.now())
    with w.client:
        jobs = w.client.app.state.runner  # the start-up enqueued an index job for the program
        with w.pilot.db.transaction() as session:
            from pilot.store.tables import JobRow

            ids = [r.id for r in session.query(JobRow).filter(JobRow.kind == "index")]
        assert len(ids) == 1
        assert jobs.wait(ids[0], timeout=30).status == JobStatus.SUCCEEDED
        assert documents(w)[0]["index_state"] == "indexed"
    w.pilot.close()
