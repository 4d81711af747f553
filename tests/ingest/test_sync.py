"""`sync_source` end to end against respx: checkpoints that survive a failure, a deleted ticket
gone from search after the census (real hybrid index), a census that lists nothing not trusted,
index removals retried, and the sync as a background job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from pilot.connectors.base import PullBatch
from pilot.connectors.jira import JiraConnector
from pilot.domain.errors import ErrorCode, PilotError
from pilot.index.hybrid import DocumentIndex
from pilot.pipeline.context import Pilot
from pilot.pipeline.ingest import SYNC_JOB, sync_source
from pilot.pipeline.jobs import JobRunner
from pilot.sample import SAMPLE_PROGRAM_ID, tickets_dir
from pilot.store.documents import get_sync_state, list_document_rows
from pilot.store.tables import DocumentRow

from .fakes import FakeIndex

P = SAMPLE_PROGRAM_ID
JIRA = "https://acmepay.atlassian.net"
SEARCH = f"{JIRA}/rest/api/3/search/jql"


def page(n: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tickets_dir() / f"jira_search_page{n}.json").read_text())
    return data


def keys(*pages: dict[str, Any], drop: str = "") -> dict[str, Any]:
    return {"issues": [{"id": i["id"], "key": i["key"]} for p in pages for i in p["issues"] if i["key"] != drop],
            "isLast": True}  # fmt: skip


def jira() -> JiraConnector:
    return JiraConnector(
        JIRA, "pm@acmepay.example", "secret-token", jql="project = PAY", sleep=lambda _s: None
    )


def cursor_of(pilot: Pilot) -> str | None:
    with pilot.db.transaction() as session:
        state = get_sync_state(session, P, "jira")
        return None if state is None else (state.cursor or {}).get("value")


def test_a_sync_that_fails_half_way_keeps_what_it_stored_and_resumes_from_the_checkpoint(
    pilot: Pilot, fake_index: FakeIndex, respx_mock: respx.MockRouter
) -> None:
    first, second = page(1), page(2)
    route = respx_mock.get(url__startswith=SEARCH).mock(side_effect=[
        httpx.Response(200, json=first),
        httpx.Response(401, json={"errorMessages": ["Client must be authenticated to access this resource."]}),
    ])  # fmt: skip
    with pytest.raises(PilotError) as raised:
        sync_source(pilot, P, "jira", index=fake_index, connector=jira())
    assert raised.value.code == ErrorCode.CREDENTIALS
    checkpoint = cursor_of(pilot)
    assert checkpoint is not None and len(fake_index.documents) == len(
        first["issues"]
    )  # stored and searchable
    with pilot.db.transaction() as session:
        assert "rejected" in (get_sync_state(session, P, "jira").last_error or "")  # type: ignore[union-attr]

    route.side_effect = [httpx.Response(200, json=second), httpx.Response(200, json=keys(first, second))]
    report = sync_source(pilot, P, "jira", index=fake_index, connector=jira())
    assert f'updated >= "{checkpoint[:16].replace("T", " ")}"' in route.calls[2].request.url.params["jql"]
    assert report.created == len(second["issues"]) and report.deleted == 0
    with pilot.db.transaction() as session:
        assert get_sync_state(session, P, "jira").last_error is None  # type: ignore[union-attr]


def test_a_ticket_deleted_at_the_source_no_longer_appears_in_search(
    pilot: Pilot, real_index: DocumentIndex, respx_mock: respx.MockRouter
) -> None:
    first, second = page(1), page(2)
    everything = {"issues": first["issues"] + second["issues"], "isLast": True}
    route = respx_mock.get(url__startswith=SEARCH).mock(
        side_effect=[httpx.Response(200, json=everything), httpx.Response(200, json=keys(first, second))]
    )
    sync_source(pilot, P, "jira", index=real_index, connector=jira())
    query = "tokenization vault quota raise peering change"  # PAY-1420's comment
    assert "jira:PAY-1420" in [h.document_key for h in real_index.search(P, query, k=3)]

    route.side_effect = [httpx.Response(200, json={"issues": [], "isLast": True}),
                         httpx.Response(200, json=keys(first, second, drop="PAY-1420"))]  # fmt: skip
    report = sync_source(pilot, P, "jira", index=real_index, connector=jira())
    assert report.deleted == 1
    assert all(h.document_key != "jira:PAY-1420" for h in real_index.search(P, query, k=50))
    with pilot.db.transaction() as session:
        live = {r.external_id for r in list_document_rows(session, P, source="jira")}
        gone = session.query(DocumentRow).filter_by(program_id=P, external_id="PAY-1420").one()
    assert "PAY-1420" not in live and gone.deleted_at is not None and gone.index_state == "removed"


def test_a_census_that_lists_nothing_deletes_nothing(
    pilot: Pilot, fake_index: FakeIndex, respx_mock: respx.MockRouter
) -> None:
    first = {**page(1), "isLast": True}
    respx_mock.get(url__startswith=SEARCH).mock(side_effect=[
        httpx.Response(200, json=first), httpx.Response(200, json=keys(first)),
        httpx.Response(200, json={"issues": [], "isLast": True}), httpx.Response(200, json={"issues": [], "isLast": True}),
    ])  # fmt: skip
    sync_source(pilot, P, "jira", index=fake_index, connector=jira())
    report = sync_source(pilot, P, "jira", index=fake_index, connector=jira())
    assert report.deleted == 0 and report.census_skipped and "permissions" in report.census_skipped
    assert fake_index.removed == [] and len(fake_index.documents) == len(first["issues"])


def test_an_index_that_cannot_remove_is_retried_by_the_next_run(
    pilot: Pilot, fake_index: FakeIndex, respx_mock: respx.MockRouter
) -> None:
    first = {**page(1), "isLast": True}
    gone = first["issues"][0]["key"]
    respx_mock.get(url__startswith=SEARCH).mock(side_effect=[
        httpx.Response(200, json=first), httpx.Response(200, json=keys(first)),
        httpx.Response(200, json={"issues": [], "isLast": True}), httpx.Response(200, json=keys(first, drop=gone)),
        httpx.Response(200, json={"issues": [], "isLast": True}), httpx.Response(200, json=keys(first, drop=gone)),
    ])  # fmt: skip
    sync_source(pilot, P, "jira", index=fake_index, connector=jira())
    fake_index.fail_removes = 1
    report = sync_source(pilot, P, "jira", index=fake_index, connector=jira())
    assert report.deleted == 1 and f"jira:{gone}" in fake_index.documents
    assert any("not removed from the index yet" in f.error for f in report.failures)
    sync_source(pilot, P, "jira", index=fake_index, connector=jira())
    assert fake_index.removed == [f"jira:{gone}"] and f"jira:{gone}" not in fake_index.documents


class BrokenConnector:
    """A connector with a bug: one good batch, then an exception that is not a PilotError."""

    source = "jira"

    def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
        yield PullBatch(documents=jira_docs(program_id)[:2], cursor="2026-11-18T09:00:00-08:00")
        raise KeyError("issues")

    def census(self, program_id: str) -> set[str] | None:
        return None


def jira_docs(program_id: str) -> list[Any]:
    from pilot.connectors.files import export_documents

    batch = export_documents(page(1), program_id)
    assert batch is not None
    return batch.documents


def test_a_connector_bug_is_a_clear_error_with_the_checkpoint_kept(
    pilot: Pilot, fake_index: FakeIndex
) -> None:
    with pytest.raises(PilotError) as raised:
        sync_source(pilot, P, "jira", index=fake_index, connector=BrokenConnector())
    assert raised.value.code == ErrorCode.INTERNAL and "KeyError" in raised.value.message
    assert cursor_of(pilot) == "2026-11-18T09:00:00-08:00" and len(fake_index.documents) == 2


def test_documents_for_another_program_are_never_stored(pilot: Pilot, fake_index: FakeIndex) -> None:
    class Stray(BrokenConnector):
        def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
            yield PullBatch(documents=jira_docs("other-program"), cursor=None)

    report = sync_source(pilot, P, "jira", index=fake_index, connector=Stray())
    assert report.created == 0 and fake_index.documents == {}


def test_the_sync_runs_as_a_job_with_its_report_as_the_result(
    pilot: Pilot, fake_index: FakeIndex, respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = {**page(1), "isLast": True}
    respx_mock.get(url__startswith=SEARCH).mock(
        side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=keys(first))]
    )
    monkeypatch.setattr("pilot.pipeline.ingest.build_connector", lambda source, settings: jira())
    monkeypatch.setattr("pilot.pipeline.ingest._index_for", lambda pilot, index: fake_index)
    job = JobRunner(pilot, inline=True).submit(SYNC_JOB, P, {"source": "jira"})
    assert job.status.value == "succeeded", job.error
    assert job.result is not None and job.result["created"] == len(first["issues"])
    assert job.result["documents_total"] == len(first["issues"])
