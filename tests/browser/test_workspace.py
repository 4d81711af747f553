"""The workspace pages in a real browser (Playwright on Debian's Chromium, app on 127.0.0.1):
the API docs with every external request blocked, "what I owe" for a person with its digest,
and an artifact drafted from the status page. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pilot.api.app import create_app
from pilot.domain.auth import Role
from pilot.pipeline.access import issue_token
from pilot.pipeline.anomalies import scan_program
from pilot.pipeline.context import fixed_clock, open_pilot
from pilot.pipeline.delivery import import_delivery
from pilot.pipeline.programs import import_program_file
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, delivery_dir, sample_program_path
from pilot.settings import Settings
from tests.browser.test_journey import CHROMIUM, SHOTS, free_port, log_in

pytestmark = pytest.mark.browser
P = SAMPLE_PROGRAM_ID


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    import uvicorn

    folder = tmp_path_factory.mktemp("workspace")
    settings = Settings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'w.db'}")
    pilot = open_pilot(settings, actor="setup", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(pilot, sample_program_path())
    import_delivery(pilot, P, [delivery_dir()])
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
    yield f"http://127.0.0.1:{port}", tokens
    server.should_exit = True
    thread.join(timeout=10)
    pilot.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def offline_page(browser):  # type: ignore[no-untyped-def]
    """A page whose every request to anything but 127.0.0.1 is aborted and remembered."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def route(r):  # type: ignore[no-untyped-def]
        host = urlparse(r.request.url).hostname
        if host in ("127.0.0.1", None) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return page, blocked


def test_api_docs_render_their_operations_with_no_network(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    page, blocked = offline_page(browser)
    page.goto(f"{base}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    operations = page.locator(".opblock").count()
    assert operations >= 40, operations
    assert page.locator("[data-path='/programs/{program_id}/artifacts']").count() >= 1
    page.locator(".opblock-summary").first.click()  # an operation opens, with its parameters
    page.wait_for_selector(".opblock-body")
    page.screenshot(path=str(SHOTS / "api-docs.png"), full_page=False)
    page.goto(f"{base}/redoc")
    page.wait_for_selector("[data-section-id^='tag/']", timeout=30_000)
    assert (
        page.locator("text=Delivery signals and meetings").count()
        + page.locator("[data-section-id^='operation/']").count()
        > 10
    )
    page.screenshot(path=str(SHOTS / "api-redoc.png"), full_page=False)
    assert blocked == [], blocked
    page.close()


def test_people_and_what_nora_owes_with_her_digest(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, tokens = site
    page = log_in(browser, base, tokens["viewer"])
    page.click("text=payments-migration") if page.locator(
        "a:has-text('payments-migration')"
    ).count() else None
    page.goto(f"{base}/p/{P}/anomalies")
    page.click("nav >> text=People")
    page.wait_for_selector("table.people")
    assert page.locator("table.people tbody tr").count() == 26
    page.screenshot(path=str(SHOTS / "people.png"), full_page=True)
    page.click("text=Nora Fischer")
    page.wait_for_selector("h2:has-text('What I owe')")
    owes = page.locator("table.owe").first
    assert owes.locator("tr.owe-item.overdue").count() == 3
    assert owes.locator("tr.owe-item").first.locator("code").inner_text() == "DEP-10"
    assert page.locator("text=10 days overdue").count() == 1
    page.screenshot(path=str(SHOTS / "owe-nora.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("text=Markdown")
    download = download_info.value
    assert download.suggested_filename == "nora.fischer-digest-2026-11-20.md"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("# Nora Fischer: what you owe") and "**DEP-10**" in text
    page.goto(f"{base}/p/{P}/people/priya.raman/owe")
    assert page.locator("text=nobody owns it yet").count() >= 1  # AI-10 on her milestone
    page.screenshot(path=str(SHOTS / "owe-priya.png"), full_page=True)
    page.close()


def test_an_artifact_drafted_from_the_status_page(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, tokens = site
    page = log_in(browser, base, tokens["editor"])
    page.goto(f"{base}/p/{P}/status")
    page.click("main >> text=artifacts")
    page.select_option("select[name=kind]", "readiness")
    page.click("text=Draft it")
    page.wait_for_selector("article.artifact")
    assert page.locator("text=Every record, date, number and name is grounded").count() == 1
    assert page.locator("article.artifact >> text=NO-GO as of 2026-11-20").count() == 1
    assert page.locator("article.artifact table tr").count() == 15  # header + 14 checklist items
    page.screenshot(path=str(SHOTS / "artifact-readiness.png"), full_page=True)
    page.goto(f"{base}/p/{P}/artifacts")
    page.select_option("select[name=kind]", "cutover")
    page.click("text=Draft it")
    page.wait_for_selector("article.artifact")
    assert page.locator("article.artifact h3:has-text('Rollback')").count() == 1
    page.screenshot(path=str(SHOTS / "artifact-cutover.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("text=Download HTML")
    assert download_info.value.suggested_filename == "payments-migration-cutover-2026-11-20.html"
    page.goto(f"{base}/p/{P}/artifacts")
    assert page.locator("table.artifacts tbody tr").count() == 2
    page.screenshot(path=str(SHOTS / "artifacts.png"), full_page=True)
    page.close()
