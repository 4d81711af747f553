"""The review queue in a real browser: each action confirms what it did (and what record it
created) and returns to the same filtered view; "Approve the N shown" approves only the drafts the
filtered page shows (and none with findings); the Edit form sets any person of the program as owner."""

from __future__ import annotations

from typing import Any

import pytest

from pilot.domain.drafts import DraftKind, DraftStatus, Provenance
from pilot.domain.findings import Finding, Severity
from pilot.pipeline import review
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID
from pilot.store.drafts import add_draft
from tests.browser.test_journey import SHOTS, log_in
from tests.browser.test_week_pages import browser, site  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
P = SAMPLE_PROGRAM_ID


def action_draft(pilot: Any, task: str, owner: str, *, finding: bool = False) -> str:
    flagged = [Finding(rule_id="draft.due_past", severity=Severity.WARNING, message="due date is past")]
    with pilot.db.transaction() as session:
        row = add_draft(
            session,
            program_id=P,
            kind=DraftKind.ACTION_ITEM,
            payload={"task": task, "owner_id": owner, "owner_resolution": "resolved", "due": "2026-11-27"},
            findings=flagged if finding else [],
            provenance=Provenance(engine="offline"),
            now=SAMPLE_NOW,
        )
        return str(row.id)


def test_review_actions_confirm_keep_the_view_and_bulk_approves_only_what_is_shown(site, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, tokens, pilot = site
    dana = [action_draft(pilot, f"Dana task {i}", "dana.whitfield") for i in range(3)]
    flagged = action_draft(pilot, "Dana task with a finding", "dana.whitfield", finding=True)
    others = [action_draft(pilot, f"Nora task {i}", "nora.fischer") for i in range(2)]
    page = log_in(browser, base, tokens["admin"])
    page.goto(f"{base}/p/{P}/review?kind=action_item&owner=dana.whitfield")
    assert page.locator("article.draft").count() == 4

    page.locator(f"#draft-{dana[0]} button.approve").click()
    page.wait_for_selector(".notice")
    assert "owner=dana.whitfield" in page.url and "kind=action_item" in page.url  # the same view
    notice = page.locator(".notice").inner_text()
    created = review.get_draft(pilot, P, dana[0]).record_ref
    assert created and notice.startswith("Approved “Dana task 0”.") and created in notice
    assert (
        page.locator(".notice a.record").get_attribute("href")
        == f"/p/{P}/records/{created.replace(':', '/')}"
    )
    page.screenshot(path=str(SHOTS / "review-confirmed.png"), full_page=True)
    page.locator(".notice a.record").click()  # the record the approval created has its page
    page.wait_for_selector(f"h1[data-record='{created}']")
    page.go_back()

    page.locator(f"#draft-{dana[1]} summary", has_text="Edit").click()
    page.locator(f"#draft-{dana[1]} select[name=owner_id]").select_option("lucas.moreau")
    page.locator(f"#draft-{dana[1]} details button").click()
    page.wait_for_selector(".notice")
    assert page.locator(".notice").inner_text().startswith("Saved “Dana task 1”.")
    assert review.get_draft(pilot, P, dana[1]).payload["owner_id"] == "lucas.moreau"
    assert "owner=dana.whitfield" in page.url and page.locator(f"#draft-{dana[1]}").count() == 0

    page.locator("button", has_text="shown without findings").click()
    page.wait_for_selector(".notice")
    assert "Approved 1 draft(s) without findings; 1 left for review." in page.locator(".notice").inner_text()
    assert review.get_draft(pilot, P, dana[2]).status == DraftStatus.APPROVED
    assert review.get_draft(pilot, P, flagged).status == DraftStatus.PENDING  # it has a finding
    assert review.get_draft(pilot, P, dana[1]).status == DraftStatus.PENDING  # no longer shown: now Lucas's
    assert all(review.get_draft(pilot, P, d).status == DraftStatus.PENDING for d in others)  # not shown

    page.locator(f"#draft-{flagged} input[name=reason][placeholder^=Why]").fill("not a commitment")
    page.locator(f"#draft-{flagged} button.reject").click()
    page.wait_for_selector(".notice")
    assert page.locator(".notice").inner_text().startswith("Rejected “Dana task with a finding”.")
    assert "owner=dana.whitfield" in page.url
    page.close()
