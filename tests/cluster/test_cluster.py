"""Against a local cluster (scripts/cluster.py: PostgreSQL with the procrastinate queue, a Chroma
server, two API processes and two workers): a worker killed with -9 in the middle of an extraction
leaves the job to the other worker, which completes it with one set of drafts; documents written
through one API (or `pilot ingest`) are found through the other. Run with `make cluster-test`."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.crash.test_kill9 import long_meeting

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from cluster import SAMPLE, Cluster  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def postgres_up() -> bool:
    try:
        with create_engine(
            os.environ.get("PILOT_CLUSTER_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
        ).connect():
            return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not postgres_up():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)")
    started = Cluster()
    try:
        started.start()
        yield started
    finally:
        started.stop()


@pytest.fixture(autouse=True)
def _loopback_only() -> None:
    return None  # the suite's network guard allows 127.0.0.1, which is all this talks to


def call(cluster: Cluster, api: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method, cluster.api_urls[api] + path, headers=cluster.headers(), timeout=120, **kwargs
    )


def job(cluster: Cluster, api: int, job_id: str) -> dict[str, Any]:
    response = call(cluster, api, "GET", f"/programs/{SAMPLE}/jobs/{job_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def wait_job(cluster: Cluster, job_id: str, until: Any, timeout: float = 600, api: int = 1) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = job(cluster, api, job_id)
        if until(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def test_a_worker_killed_mid_extraction_leaves_the_job_to_the_other(cluster: Cluster) -> None:
    response = call(
        cluster,
        0,
        "POST",
        f"/programs/{SAMPLE}/extract",
        data={"text": long_meeting(80), "meeting_date": "2026-11-16"},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job"]["id"]
    running = wait_job(cluster, job_id, lambda j: j["status"] != "queued" and j["worker"])
    time.sleep(1.0)
    assert job(cluster, 1, job_id)["status"] == "running", running
    victim = int(running["worker"].split(":")[1])
    assert victim in {p.pid for p in cluster.worker_procs()}
    os.kill(victim, signal.SIGKILL)

    done = wait_job(cluster, job_id, lambda j: j["status"] in ("succeeded", "failed"))
    assert done["status"] == "succeeded", done
    assert int(done["worker"].split(":")[1]) != victim and done["attempts"] == 2
    engine = create_engine(cluster.database_url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM drafts WHERE job_id = :j"), {"j": job_id})]
    engine.dispose()
    assert len(ids) == len(set(ids)) == done["result"]["drafts"] > 0
    assert sorted(ids) == sorted(done["result"]["draft_ids"])  # exactly one set
    cluster.cli("audit", "verify")
    cluster.start_worker(9)  # back to two workers for what follows


def searchable(
    cluster: Cluster, api: int, word: str, key_part: str, timeout: float
) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    while True:
        hits = call(cluster, api, "GET", f"/programs/{SAMPLE}/search", params={"q": word, "k": 5}).json()
        mine = [h for h in hits if key_part in h["document_key"]]
        if mine and mine[0]["keyword_rank"] is not None and mine[0]["vector_rank"] is not None:
            return time.monotonic() - started, mine[0]
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{word!r} not found by keyword and vector through API {api}: {hits[:3]}")
        time.sleep(0.1)


def upload(cluster: Cluster, api: int, name: str, body: str) -> str:
    response = call(
        cluster, api, "POST", f"/programs/{SAMPLE}/documents", files={"file": (name, body.encode())}
    )
    assert response.status_code == 201, response.text
    index_job = response.json()["index_job"]
    assert (
        wait_job(cluster, index_job, lambda j: j["status"] in ("succeeded", "failed"), api=api)["status"]
        == "succeeded"
    )
    return index_job


def test_documents_are_found_through_the_other_api_within_two_seconds(
    cluster: Cluster, tmp_path: Path
) -> None:
    for api in (0, 1):  # warm: the query embedder is loaded and each API has answered a search
        assert (
            call(cluster, api, "GET", f"/programs/{SAMPLE}/search", params={"q": "cutover"}).status_code
            == 200
        )
    for api, other in ((0, 1), (1, 0)):
        word = f"zephyrine{uuid.uuid4().hex[:6]}"
        upload(cluster, api, f"notes-{word}.md", f"Ana: the {word} rollout is blocked on the vendor.\n")
        elapsed, _ = searchable(cluster, other, word, word, timeout=2.0)
        assert elapsed < 2.0

    word = f"quillbrook{uuid.uuid4().hex[:6]}"
    notes = tmp_path / f"ingested-{word}.md"
    notes.write_text(f"Ben: the {word} cutover needs a rollback plan.\n")
    cluster.cli("ingest", str(notes), "--program", SAMPLE)
    for api in (0, 1):
        searchable(cluster, api, word, notes.name, timeout=2.0)

    notes.write_text("Ben: the cutover needs a rollback plan.\n")  # the word is gone from the file
    cluster.cli("ingest", str(notes), "--program", SAMPLE)
    for api in (0, 1):
        hits = call(cluster, api, "GET", f"/programs/{SAMPLE}/search", params={"q": word, "k": 5}).json()
        assert not [h for h in hits if notes.name in h["document_key"] and h["keyword_rank"] is not None], (
            hits
        )
