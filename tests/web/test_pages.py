"""The web pages through the app: login, every page per role, forms with CSRF, approve from the
queue, paste a transcript and see drafts, and the same 404/403 rules as the API."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pilot.api.app import create_app
from pilot.domain.auth import Role
from pilot.pipeline import extract as extraction
from pilot.pipeline.access import issue_token
from pilot.pipeline.anomalies import scan_program
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot
from pilot.pipeline.programs import import_program_bytes, import_program_file
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings
from tests.store.program_factory import SMALL_PROGRAM

P = SAMPLE_PROGRAM_ID
MEETING = "Priya: Marcus, can you finish the refund backfill by Friday?\nMarcus: Yes, I'll finish the refund backfill by Friday.\n"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Pilot, dict[str, str]]]:
    from pilot.chains.offline import OfflineExtractor

    extraction.use_engine(lambda _s: OfflineExtractor())  # cue phrases only: fast
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'web.db'}")
    pilot = open_pilot(settings, actor="setup", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(pilot, sample_program_path())
    import_program_bytes(pilot, SMALL_PROGRAM.encode(), source="small.yaml")
    scan_program(pilot, P)
    tokens = {r.value: issue_token(pilot, user_id=f"{r.value}-user", role=r, program_id=P) for r in Role}
    client = TestClient(create_app(context=pilot), follow_redirects=False)
    with client:
        yield client, pilot, tokens
    extraction.use_engine(None)
    pilot.close()


def login(client: TestClient, token: str) -> str:
    response = client.post("/login", data={"token": token, "next": "/"})
    assert response.status_code == 303 and "pilot_session" in response.headers["set-cookie"]
    assert (
        "HttpOnly" in response.headers["set-cookie"] and "SameSite=strict" in response.headers["set-cookie"]
    )
    page = client.get("/").text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(f"/p/{P}/anomalies").text)
    assert "Payments platform migration" in page
    return match.group(1) if match else ""


def extract_via_page(client: TestClient, csrf: str) -> str:
    response = client.post(
        f"/p/{P}/transcripts", data={"text": MEETING, "meeting_date": "2026-11-16", "csrf": csrf}
    )
    assert response.status_code == 303
    job_url = response.headers["location"]
    fragment = ""
    for _ in range(200):
        fragment = client.get(job_url, headers={"HX-Request": "true"}).text
        if "succeeded" in fragment or "failed" in fragment:
            break
        time.sleep(0.05)
    return fragment


def test_pages_need_a_session_and_bad_tokens_are_refused(site) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = site
    response = client.get(f"/p/{P}/anomalies")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.post("/login", data={"token": "plt_nope"}).status_code == 401


@pytest.mark.parametrize("path", ["/", f"/p/{P}/anomalies", f"/p/{P}/review", f"/p/{P}/ask?q=PCI+segmentation",
                                  f"/p/{P}/audit", "/static/htmx-2.0.11.min.js"])  # fmt: skip
def test_a_viewer_can_read_every_page(site, path: str) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    login(client, tokens["viewer"])
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]


def test_anomalies_page_shows_findings_kpis_and_trend_charts(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    login(client, tokens["editor"])
    html = client.get(f"/p/{P}/anomalies").text
    assert "incident.sev1_release" in html and "Milestone on-time rate" in html and "<svg" in html
    assert "Acknowledge" in html  # an editor triages


def test_another_program_is_not_found_and_the_viewer_cannot_triage(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["viewer"])
    assert client.get("/p/checkout-v2/anomalies").status_code == 404
    html = client.get(f"/p/{P}/anomalies").text
    assert "Acknowledge" not in html
    finding = re.search(r'id="finding-(\d+)"', html)
    assert finding
    forged = client.post(
        f"/p/{P}/findings/{finding.group(1)}", data={"state": "resolved", "reason": "x", "csrf": csrf}
    )
    assert forged.status_code == 403


def test_paste_a_transcript_drafts_arrive_an_approver_approves_and_it_is_audited(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    csrf = login(client, tokens["editor"])
    assert (
        client.post(f"/p/{P}/transcripts", data={"text": MEETING, "meeting_date": "2026-11-16"}).status_code
        == 403
    )
    response = client.post(
        f"/p/{P}/transcripts", data={"text": MEETING, "meeting_date": "2026-11-16", "csrf": csrf}
    )
    assert response.status_code == 303
    job_url = response.headers["location"]
    for _ in range(100):
        fragment = client.get(job_url, headers={"HX-Request": "true"}).text
        if "succeeded" in fragment or "failed" in fragment:
            break
        time.sleep(0.1)
    assert "succeeded" in fragment and "refund backfill" in fragment
    csrf = login(client, tokens["approver"])
    queue = client.get(f"/p/{P}/review").text
    draft_id = re.search(r'id="draft-([0-9a-f-]{36})"', queue)
    assert draft_id and "Approve" in queue
    approved = client.post(
        f"/p/{P}/drafts/{draft_id.group(1)}/approve", data={"csrf": csrf, "reason": "checked"}
    )
    assert approved.status_code == 303
    assert draft_id.group(1) in client.get(f"/p/{P}/review?status=approved").text
    assert "draft.approve" in client.get(f"/p/{P}/audit").text


def test_a_viewer_sees_no_approve_button_and_a_forged_approval_is_forbidden(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    assert "succeeded" in extract_via_page(client, login(client, tokens["editor"]))
    csrf = login(client, tokens["viewer"])
    queue = client.get(f"/p/{P}/review").text
    draft_id = re.search(r'id="draft-([0-9a-f-]{36})"', queue)
    assert draft_id and 'class="approve"' not in queue and "Approve all" not in queue
    assert client.post(f"/p/{P}/drafts/{draft_id.group(1)}/approve", data={"csrf": csrf}).status_code == 403


def test_audit_verify_is_for_admins(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    login(client, tokens["viewer"])
    assert client.get(f"/p/{P}/audit?verify=true").status_code == 403
    login(client, tokens["admin"])
    assert "Chain intact" in client.get(f"/p/{P}/audit?verify=true").text


def test_status_editor_checks_live_saves_and_exports(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["editor"])
    created = client.post(f"/p/{P}/status", data={"audience": "exec", "csrf": csrf})
    assert created.status_code == 303
    editor_url = created.headers["location"]
    page = client.get(editor_url).text
    assert "Every fact is grounded" in page and 'hx-post="' in page
    draft_id = editor_url.rsplit("/", 1)[1]
    body = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    assert body
    import html as html_lib

    text = html_lib.unescape(body.group(1))
    live = client.post(  # as htmx sends it: the token in the header from the page's hx-headers
        f"{editor_url}/check", data={"body": text.replace("RED", "GREEN", 1)}, headers={"X-CSRF-Token": csrf}
    ).text
    assert "status.colour_contradiction" in live
    assert (
        client.post(
            f"{editor_url}/save", data={"body": text.replace("RED", "GREEN", 1), "csrf": csrf}
        ).status_code
        == 303
    )
    assert "status.colour_contradiction" in client.get(editor_url).text
    exported = client.get(f"/programs/{P}/drafts/{draft_id}/export?format=html")
    assert exported.status_code == 200 and exported.text.startswith("<div")
    assert client.get(f"/p/{P}/status").status_code == 200


def test_the_page_of_a_job_interrupted_by_a_crash_stops_polling_and_offers_a_retry(site) -> None:  # type: ignore[no-untyped-def]
    from pilot.store.jobs import HOST, create_job, wall_clock

    client, pilot, tokens = site
    with pilot.db.transaction() as session:  # as kill -9 leaves it, past the attempt limit
        row = create_job(session, kind="extract", program_id=P, params={"document_id": 1}, now=pilot.now())
        row.status, row.attempts, row.worker = "running", 3, f"{HOST}:999999999:local-gone"
        row.heartbeat_at = wall_clock()
        job_id = row.id
    client.app.state.runner.queue.recover()  # what the worker does at start-up and every few seconds
    login(client, tokens["editor"])
    page = client.get(f"/p/{P}/jobs/{job_id}").text
    assert "failed" in page and "pilot job retry" in page and "hx-trigger" not in page


def test_the_review_queue_shows_the_prompt_version_and_what_the_llm_call_cost(site) -> None:  # type: ignore[no-untyped-def]
    from pilot.domain.drafts import DraftKind, Provenance
    from pilot.domain.usage import TokenUsage
    from pilot.store.drafts import add_draft

    client, pilot, tokens = site
    usage = TokenUsage(input_tokens=1200, output_tokens=300, total_tokens=1500, calls=1, cost_usd=0.00036)
    provenance = Provenance(
        engine="llm",
        model="gpt-4o-mini",
        prompt_name="extract",
        prompt_version="1.0.0",
        prompt_hash="ab" * 32,
        usage=usage,
    )
    with pilot.db.transaction() as session:
        add_draft(
            session,
            program_id=P,
            kind=DraftKind.ACTION_ITEM,
            payload={"task": "Rehearse the rollback"},
            findings=[],
            provenance=provenance,
            now=SAMPLE_NOW,
        )
    login(client, tokens["viewer"])
    queue = client.get(f"/p/{P}/review").text
    assert "prompt v1.0.0" in queue and "1500 tokens, $0.0004" in queue and "ab" * 32 in queue


def test_the_review_queue_groups_by_meeting_filters_and_says_what_approval_creates(site) -> None:  # type: ignore[no-untyped-def]
    from pilot.domain.drafts import DraftKind, Provenance
    from pilot.store.drafts import add_draft

    client, pilot, tokens = site
    provenance = Provenance(engine="offline")
    with pilot.db.transaction() as session:
        for kind, payload in (
            (
                DraftKind.ACTION_ITEM,
                {"task": "Rehearse the rollback", "owner_id": "omar.farouk", "confidence": 0.9},
            ),
            (DraftKind.ACTION_ITEM, {"task": "Tidy the wiki", "confidence": 0.5}),
            (DraftKind.QUESTION, {"question": "Do we hold the date?", "confidence": 0.4}),
        ):
            add_draft(session, program_id=P, kind=kind, payload=payload, findings=[], provenance=provenance,
                      now=SAMPLE_NOW)  # fmt: skip
    login(client, tokens["approver"])
    queue = client.get(f"/p/{P}/review").text
    assert "Drafts without a source document" in queue
    assert (
        queue.index("Rehearse the rollback") < queue.index("Tidy the wiki") < queue.index("Do we hold")
    )  # surest first
    assert "creates no record: the question is noted" in queue and "90%" in queue
    only_questions = client.get(f"/p/{P}/review?kind=question").text
    assert "Do we hold the date?" in only_questions and "Rehearse the rollback" not in only_questions
    by_owner = client.get(f"/p/{P}/review?owner=omar.farouk").text
    assert "Rehearse the rollback" in by_owner and "Tidy the wiki" not in by_owner
