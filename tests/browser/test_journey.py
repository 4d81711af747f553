"""The product in a real browser: Playwright driving Debian's Chromium against the app served on
127.0.0.1. Paste a sample transcript, watch drafts arrive, approve one, find it as a record and in
the audit log; a viewer cannot approve. A screenshot of every page is saved as a test artifact."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pilot.api.app import create_app
from pilot.domain.auth import Role
from pilot.pipeline import extract as extraction
from pilot.pipeline.access import issue_token
from pilot.pipeline.anomalies import scan_program
from pilot.pipeline.context import fixed_clock, open_pilot
from pilot.pipeline.programs import export_program, import_program_file
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path, transcripts_dir
from pilot.settings import Settings

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
P = SAMPLE_PROGRAM_ID


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], object]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    import uvicorn

    from pilot.chains.offline import OfflineExtractor

    extraction.use_engine(lambda _s: OfflineExtractor())
    folder = tmp_path_factory.mktemp("browser")
    settings = Settings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'b.db'}")
    pilot = open_pilot(settings, actor="setup", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(pilot, sample_program_path())
    scan_program(pilot, P)
    tokens = {r.value: issue_token(pilot, user_id=f"{r.value}-user", role=r, program_id=P) for r in Role}
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(context=pilot), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield f"http://127.0.0.1:{port}", tokens, pilot
    server.should_exit = True
    thread.join(timeout=10)
    extraction.use_engine(None)
    pilot.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def log_in(browser, base: str, token: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def test_paste_review_approve_and_audit(served, browser) -> None:  # type: ignore[no-untyped-def]
    base, tokens, pilot = served
    page = log_in(browser, base, tokens["approver"])
    page.screenshot(path=str(SHOTS / "programs.png"), full_page=True)
    page.goto(f"{base}/p/{P}/anomalies")
    assert page.locator(".finding").count() > 10
    page.screenshot(path=str(SHOTS / "anomalies.png"), full_page=True)

    page.goto(f"{base}/p/{P}/transcripts")
    transcript = (transcripts_dir() / "2026-11-19-ledger-standup.srt").read_text(encoding="utf-8")
    page.fill("#text", transcript)
    page.fill("input[name=meeting_date]", "2026-11-19")
    page.screenshot(path=str(SHOTS / "transcripts.png"), full_page=True)
    page.click("text=Extract drafts")
    page.wait_for_selector("text=drafts are in the", timeout=60_000)  # htmx polls until the job is done
    page.screenshot(path=str(SHOTS / "job.png"), full_page=True)

    page.click("text=review queue")
    page.wait_for_selector("article.draft")
    page.screenshot(path=str(SHOTS / "review.png"), full_page=True)
    first = page.locator("article.draft").first
    what = first.locator(".what").inner_text()
    override = first.locator("input[name=reason][placeholder^=Override]")
    if override.count():
        override.fill("checked with the owner")
    first.locator("button.approve").click()
    page.wait_for_load_state()
    page.goto(f"{base}/p/{P}/review?status=approved")
    assert what in page.content()

    record_file = export_program(pilot, P)  # type: ignore[arg-type]
    assert what.split()[0] in record_file  # the approved draft is a program record now
    page.goto(f"{base}/p/{P}/audit")
    assert page.locator("text=draft.approve").count() >= 1
    page.screenshot(path=str(SHOTS / "audit.png"), full_page=True)

    page.goto(f"{base}/p/{P}/ask?q=reconciliation+parity+backfill")
    assert page.locator("ol.hits li").count() >= 1
    page.screenshot(path=str(SHOTS / "ask.png"), full_page=True)
    page.locator("text=open source").first.click()
    page.wait_for_selector("ol.transcript")
    page.screenshot(path=str(SHOTS / "document.png"), full_page=True)

    page.goto(f"{base}/p/{P}/status")
    page.click("text=Draft a new update")
    page.wait_for_selector("textarea[name=body]")
    assert page.locator("text=Every fact is grounded").count() == 1
    page.screenshot(path=str(SHOTS / "status-editor.png"), full_page=True)
    page.close()


def test_a_viewer_cannot_approve(served, browser) -> None:  # type: ignore[no-untyped-def]
    base, tokens, _ = served
    page = log_in(browser, base, tokens["viewer"])
    page.goto(f"{base}/p/{P}/review")
    assert page.locator("button.approve").count() == 0
    assert page.locator("text=Transcripts").count() == 0  # no extraction for viewers
    page.screenshot(path=str(SHOTS / "review-viewer.png"), full_page=True)
    # A forged form post from the viewer's session is refused.
    status = page.evaluate(
        """async (url) => { const r = await fetch(url, {method: 'POST', body: new URLSearchParams({reason: 'x'})});
                           return r.status; }""",
        f"{base}/p/{P}/bulk-approve",
    )
    assert status == 403
    page.close()
