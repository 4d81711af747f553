"""The week's pages in a real browser (Playwright on Debian's Chromium, app on 127.0.0.1): the
home dashboard, the anomalies page (labels and units, filters, triage that updates the counts,
links to records, trends with axes, "Scan now" that says what changed, an acknowledgement that
follows its dependency from "at risk" to "overdue"), and the status editor (preview, Approve that
saves the typed text first, downloads, a re-draft that replaces the pending one). Screenshots go
to test-artifacts/screenshots/week-*.png."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pilot.api.app import create_app
from pilot.domain.auth import Role
from pilot.domain.drafts import DraftKind, Provenance
from pilot.pipeline import review
from pilot.pipeline.access import issue_token
from pilot.pipeline.anomalies import anomalies, scan_program
from pilot.pipeline.context import fixed_clock, open_pilot
from pilot.pipeline.delivery import import_delivery
from pilot.pipeline.programs import get_program, import_program_file, save_program_data
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, delivery_dir, sample_program_path
from pilot.settings import Settings
from pilot.store.drafts import add_draft
from tests.browser.test_journey import CHROMIUM, SHOTS, free_port, log_in

pytestmark = pytest.mark.browser
P = SAMPLE_PROGRAM_ID


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Any]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    import uvicorn

    folder = tmp_path_factory.mktemp("week")
    settings = Settings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'w.db'}")
    pilot = open_pilot(settings, actor="setup", clock=fixed_clock(SAMPLE_NOW))
    import_program_file(pilot, sample_program_path())
    import_delivery(pilot, P, [delivery_dir()])
    for days in (14, 7, 0):  # three weekly scans: the trends have points, the week has a start
        scan_program(pilot, P, now=SAMPLE_NOW - timedelta(days=days))
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
    pilot.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def shot(page: Any, name: str, full: bool = True) -> None:
    page.screenshot(path=str(SHOTS / f"week-{name}.png"), full_page=full)


def open_counts(pilot: Any) -> dict[str, int]:
    unresolved = [f for f in anomalies(pilot, P) if f.state.value != "resolved"]
    return {s: sum(f.finding.severity.value == s for f in unresolved) for s in ("error", "warning", "info")}


def test_home_is_a_dashboard_of_the_week(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, tokens, pilot = site
    row = add_draft_row(pilot)
    review.approve(pilot, P, row)  # a record added by approval this week
    page = log_in(browser, base, tokens["editor"])
    board = page.locator(f"section#program-{P}")
    assert board.locator(".status-pill").inner_text() == "RED"
    assert "as of 2026-11-20" in board.locator(".dash-head").inner_text()
    why = board.locator("details.why")
    assert "Milestone overdue" in why.inner_text() and "Sev1 incident from a release" in why.inner_text()
    counts = open_counts(pilot)
    tile = board.locator("a.tile").first.inner_text()
    assert f"{counts['error']} errors" in tile and f"{counts['warning']} warnings" in tile
    decisions = board.locator(f"#decisions-{P} li")
    assert decisions.count() == 3 and decisions.locator(".badge.error").count() == 2  # DEC-09, DEC-08 overdue
    week = board.locator("ul.week").inner_text()
    assert "Since 2026-11-13" in board.inner_text()
    assert re.search(r"\b5 re-forecasts", week) and "2027-01-27 → 2027-02-03" in week  # M-12
    assert re.search(r"\b1 record added by approving drafts", week)
    links = {a.inner_text() for a in board.locator("nav.dash-links a").all()}
    assert {"Anomalies", "Plan", "Status updates", "Transcripts", "People"} <= links
    shot(page, "home")
    board.locator(f"#decisions-{P} a.ref").first.click()
    page.wait_for_url(f"{base}/p/{P}/records/decision/DEC-09")
    page.close()


def add_draft_row(pilot: Any) -> str:
    with pilot.db.transaction() as session:
        row = add_draft(
            session,
            program_id=P,
            kind=DraftKind.ACTION_ITEM,
            payload={
                "task": "Send the wave 1 runbook to the acquiring bank",
                "owner_id": "dana.whitfield",
                "owner_resolution": "resolved",
                "due": "2026-11-27",
            },
            findings=[],
            provenance=Provenance(engine="offline"),
            now=SAMPLE_NOW,
        )
        return str(row.id)


def test_anomalies_read_as_words_filter_and_count_what_is_left(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, tokens, pilot = site
    page = log_in(browser, base, tokens["editor"])
    page.goto(f"{base}/p/{P}/anomalies")
    text = page.locator("main").inner_text()
    for raw in ("per_period", ">= 0.", "<= ", " count "):
        assert raw not in text, raw
    assert page.locator("#kpi-scope_quantified_share .kpi-value").inner_text() == "62%\ntarget at least 80%"
    assert "8 days" in page.locator("#kpi-decision_latency_days").inner_text()
    trend = page.locator("#kpi-milestone_on_time_rate svg.trend")
    assert trend.locator("text.ylabel").all_text_contents() == ["0%", "50%", "100%"]
    assert trend.locator("text.xlabel").all_text_contents() == ["Nov 06", "Nov 13", "Nov 20"]
    assert trend.locator("line.target").count() == 1
    counts = open_counts(pilot)
    header = page.locator("#counts").inner_text()
    assert f"{counts['error']} errors" in header and f"{counts['warning']} warnings" in header
    families = page.locator("section.family h3").all_inner_texts()
    assert len(families) >= 8 and any(f.startswith("Risks and issues") for f in families)
    shot(page, "anomalies")

    page.select_option("select[name=severity]", "error")
    page.select_option("select[name=family]", "dependency")
    page.click("form.filters button")
    cards = page.locator("article.finding")
    assert cards.count() == sum(
        1
        for f in anomalies(pilot, P)
        if f.finding.family == "dependency" and f.finding.severity.value == "error"
    )
    assert all("error" in c.locator(".badge").first.inner_text() for c in cards.all())
    shot(page, "anomalies-filtered")

    card = cards.last
    finding_id = card.get_attribute("id")
    card.locator("a.ref").first.click()  # the record the finding is about
    page.wait_for_url(re.compile(rf"{base}/p/{P}/records/dependency/DEP-\d+"))
    page.go_back()
    card = page.locator(f"#{finding_id}")
    card.locator("details.triage summary").click()
    card.locator("input[name=reason]").fill("provider committed to a date in the sync")
    card.locator("button[value=resolved]").click()
    page.wait_for_selector("#action-notice")
    assert "resolved and hidden" in page.locator("#action-notice").inner_text()
    assert page.locator(f"#{finding_id}").count() == 0  # hidden by default
    assert page.locator("select[name=family]").input_value() == "dependency"  # the filters are kept
    header = page.locator("#counts").inner_text()
    assert f"{counts['error'] - 1} errors" in header and "1 resolved" in header
    shot(page, "anomalies-after-resolve")
    page.check("input[name=resolved]")
    page.click("form.filters button")
    assert "resolved" in page.locator(f"#{finding_id} .badge.state").inner_text()
    page.close()


def test_status_editor_approves_the_text_typed_without_saving(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, tokens, pilot = site
    page = log_in(browser, base, tokens["approver"])
    page.goto(f"{base}/p/{P}/status")
    page.click("text=Draft a new update")
    page.wait_for_selector("textarea#body")
    draft_id = page.url.rsplit("/", 1)[1]
    preview = page.locator("#preview")
    assert preview.locator("h1").count() == 1 and preview.locator("strong:has-text('overdue')").count() == 2
    page.click("textarea#body")
    page.keyboard.press("Control+End")
    page.keyboard.type("\n## Note from the program office\nescalations go through the weekly review.\n")
    page.wait_for_function(
        "document.querySelector('#preview').innerText.includes('Note from the program office')"
    )
    assert preview.locator("h2:has-text('Note from the program office')").count() == 1  # rendered, not saved
    shot(page, "status-editor-preview")
    with page.expect_download() as download:
        page.click("a:has-text('Markdown')")
    assert download.value.suggested_filename == f"{P}-status-exec-2026-11-20.md"
    assert page.locator("textarea#body").input_value().endswith("weekly review.\n")  # still on the page
    page.click("button.approve")  # no Save first
    page.wait_for_selector(".notice.ok")
    assert "Your edits were saved, then the update was approved" in page.locator(".notice.ok").inner_text()
    approved = review.get_draft(pilot, P, draft_id)
    assert approved.status.value == "approved"
    assert str(approved.payload["body"]).endswith(
        "## Note from the program office\nescalations go through the weekly review.\n"
    )
    shot(page, "status-approved")

    page.goto(f"{base}/p/{P}/status")
    page.click("text=Draft a new update")  # exec again: a pending one
    page.wait_for_selector("textarea#body")
    page.goto(f"{base}/p/{P}/status")
    page.click("text=Draft a new update")  # and again: it replaces the pending one
    page.wait_for_selector("textarea#body")
    page.goto(f"{base}/p/{P}/status")
    states = page.locator("table.status-list .badge.state").all_inner_texts()
    assert sorted(states) == ["approved", "pending", "superseded"], states
    shot(page, "status-list")
    page.close()


def test_scan_now_says_what_changed_and_the_acknowledgement_follows(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, tokens, pilot = site
    page = log_in(browser, base, tokens["editor"])
    page.goto(f"{base}/p/{P}/anomalies?family=dependency")
    at_risk = next(
        f
        for f in anomalies(pilot, P)
        if f.finding.rule_id == "dependency.at_risk" and f.finding.subjects == ("dependency:DEP-15",)
    )
    card = page.locator(f"#finding-{at_risk.id}")
    card.locator("details.triage summary").click()
    card.locator("input[name=reason]").fill("firewall change approved for Monday")
    card.locator("button[value=acknowledged]").click()
    page.wait_for_selector("#action-notice")

    data = get_program(pilot, P)  # DEP-15 passes its due date, DEP-10 is delivered, AI-05 is due
    deps = [
        d.model_copy(update={"due_date": date(2026, 11, 18)})
        if d.id == "DEP-15"
        else d.model_copy(update={"status": "delivered", "delivered_on": date(2026, 11, 19)})
        if d.id == "DEP-10"
        else d
        for d in data.dependencies
    ]
    save_program_data(pilot, data.model_copy(update={"dependencies": deps}), source="test")

    page.click("text=Scan now")
    page.wait_for_selector("#scan-report")
    report = page.locator("#scan-report").inner_text()
    assert re.search(r"\d+ new .* · 0 re-opened · \d+ cleared · 1 changed rule, review kept", report), report
    assert "Dependency overdue" in report and "DEP-10" in report
    shot(page, "anomalies-scan-report")
    overdue = page.locator(f"#finding-{at_risk.id}")  # the same finding, now "overdue", still acknowledged
    assert "Dependency overdue" in overdue.locator("header").inner_text()
    assert "acknowledged" in overdue.locator(".badge.state").inner_text()
    assert "firewall change approved for Monday" in overdue.inner_text()
    page.close()
