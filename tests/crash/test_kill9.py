"""kill -9 of a real `pilot serve` (embedded default: SQLite, in-process worker) during an
extraction and during a bulk approval, then a restart on the same data directory: no job is left
`running`, the interrupted job is failed as retryable and a retry runs it to success, the audit
chain verifies, and no document or draft is written twice or half."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilot.domain.auth import Role
from pilot.domain.documents import content_hash
from pilot.domain.drafts import ActionItemDraft, DraftKind, OwnerResolution, Provenance
from pilot.pipeline.access import issue_token
from pilot.pipeline.context import open_pilot
from pilot.pipeline.programs import get_program, import_program_file
from pilot.sample import SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings
from pilot.store.drafts import add_draft
from pilot.store.tables import AuditEventRow, DocumentRow, DraftRow

pytestmark = pytest.mark.slow
P = SAMPLE_PROGRAM_ID
PILOT = str(Path(sys.executable).parent / "pilot")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    data_dir: Path
    token: str
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def env(self) -> dict[str, str]:
        # One interruption is enough to fail a job (retryable): the test then retries it by hand.
        return {
            **os.environ,
            "PILOT_DATA_DIR": str(self.data_dir),
            "PILOT_JOB_MAX_ATTEMPTS": "1",
            "PILOT_JOB_HEARTBEAT_S": "0.5",
            "HF_HUB_OFFLINE": "1",
        }

    def start(self) -> None:
        self.port = free_port()
        log = (self.data_dir / f"serve-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [PILOT, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("pilot serve did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no shutdown hook runs
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(60)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kwargs)

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/programs/{P}/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        return job

    def wait_job(self, job_id: str, until: Any, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if until(job) or time.monotonic() > deadline:
                return job
            time.sleep(0.25)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = Settings(data_dir=tmp_path / "data")
    pilot = open_pilot(settings, actor="setup")
    import_program_file(pilot, sample_program_path())
    token = issue_token(pilot, user_id="ana", role=Role.ADMIN, program_id=P)
    pilot.close()
    srv = Server(data_dir=settings.data_dir, token=token)
    try:
        yield srv
    finally:
        srv.stop()


def long_meeting(turns: int) -> str:
    lines = []
    for i in range(turns):
        who = ("Priya Raman", "Marcus Oyelaran", "Nora Lindqvist")[i % 3]
        lines.append(
            f"{who}: I'll update the cutover runbook section {i} by Friday, and we agreed to "
            f"keep wave {i % 7} on the December plan."
        )
    return "\n".join(lines) + "\n"


def audit_verifies(srv: Server) -> None:
    done = subprocess.run([PILOT, "audit", "verify", "--json"], env=srv.env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def kill_when(srv: Server, job_id: str, ready: Any, settle_s: float = 0.0) -> dict[str, Any]:
    seen = srv.wait_job(job_id, lambda j: ready(j) or j["status"] in ("succeeded", "failed"), timeout=300)
    time.sleep(settle_s)  # well inside the work, not at its first step
    seen = srv.job(job_id)
    assert seen["status"] == "running", f"the job ended before it could be interrupted: {seen}"
    srv.kill9()
    return seen


def restart_and_retry(srv: Server, job_id: str) -> dict[str, Any]:
    srv.start()
    after = srv.wait_job(job_id, lambda j: j["status"] != "running", timeout=60)
    assert after["status"] == "failed", after  # found at start-up, not left running
    assert after["error"]["code"] == "interrupted" and after["error"]["retryable"] is True
    retried = srv.call("POST", f"/programs/{P}/jobs/{job_id}/retry")
    assert retried.status_code == 200, retried.text
    done = srv.wait_job(job_id, lambda j: j["status"] in ("succeeded", "failed"))
    assert done["status"] == "succeeded", done
    return done


def test_kill9_during_an_extraction(server: Server) -> None:
    server.start()
    text = long_meeting(80)
    response = server.call(
        "POST", f"/programs/{P}/extract", data={"text": text, "meeting_date": "2026-11-16"}
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job"]["id"]
    kill_when(server, job_id, lambda j: j["status"] == "running", settle_s=1.0)

    done = restart_and_retry(server, job_id)
    audit_verifies(server)
    server.stop()
    pilot = open_pilot(Settings(data_dir=server.data_dir))
    with pilot.db.transaction() as session:
        docs = session.query(DocumentRow).filter(DocumentRow.program_id == P).all()
        assert len(docs) == 1  # the transcript once, whole
        assert docs[0].content_hash == content_hash(docs[0].text)
        ids = [r.id for r in session.query(DraftRow).filter(DraftRow.job_id == job_id)]
    pilot.close()
    assert len(ids) == len(set(ids)) == done["result"]["drafts"] > 0  # one set of drafts
    assert sorted(ids) == sorted(done["result"]["draft_ids"])


def pending_drafts(data_dir: Path, count: int) -> list[str]:
    pilot = open_pilot(Settings(data_dir=data_dir), actor="setup")
    ids = []
    with pilot.db.transaction() as session:
        for i in range(count):
            payload = ActionItemDraft(
                task=f"Update runbook section {i}",
                owner_text="Robert",
                owner_id="robert.hayes",
                owner_resolution=OwnerResolution.RESOLVED,
            )
            row = add_draft(
                session,
                program_id=P,
                kind=DraftKind.ACTION_ITEM,
                payload=payload.model_dump(mode="json"),
                findings=[],
                provenance=Provenance(engine="offline"),
                now=pilot.now(),
            )
            ids.append(row.id)
    pilot.close()
    return ids


def test_kill9_during_a_bulk_approval(server: Server) -> None:
    ids = pending_drafts(server.data_dir, 400)
    before = len(export_records(server.data_dir))
    server.start()
    response = server.call("POST", f"/programs/{P}/drafts/bulk-approve", params={"wait": 0}, json={})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    kill_when(server, job_id, lambda j: j["status"] == "running" and j["progress"] >= 20)

    restart_and_retry(server, job_id)
    audit_verifies(server)
    server.stop()
    pilot = open_pilot(Settings(data_dir=server.data_dir))
    with pilot.db.transaction() as session:
        rows = session.query(DraftRow).filter(DraftRow.id.in_(ids)).all()
        assert {r.status for r in rows} == {"approved"} and all(r.record_ref for r in rows)
        approvals = session.query(AuditEventRow).filter(AuditEventRow.action == "draft.approve").all()
        subjects = [e.subject for e in approvals]
        assert len(subjects) == len(set(subjects)) == len(ids)  # each draft approved exactly once
    pilot.close()
    assert len(export_records(server.data_dir)) == before + len(ids)


def export_records(data_dir: Path) -> list[Any]:
    pilot = open_pilot(Settings(data_dir=data_dir))
    try:
        return list(get_program(pilot, P).action_items)
    finally:
        pilot.close()
