"""The plan page in a real browser: the computed critical path highlighted in the SVG, the open
work table, and a what-if typed into the form that moves bars on a copy (nothing saved)."""

from __future__ import annotations

import pytest

from pilot.pipeline.programs import export_program
from pilot.sample import SAMPLE_PROGRAM_ID
from tests.browser.test_journey import SHOTS, browser, log_in, served  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
P = SAMPLE_PROGRAM_ID


def test_the_plan_page_shows_the_critical_path_and_a_what_if_changes_nothing(served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, tokens, pilot = served
    page = log_in(browser, base, tokens["viewer"])
    page.locator(f"a[href='/p/{P}/plan']").first.click()  # from the home dashboard
    page.wait_for_url(f"{base}/p/{P}/plan")
    assert page.locator("header .as-of").inner_text() == "as of 2026-11-20"
    chain = page.locator("p.critical-path code.crit")
    assert [chain.nth(i).inner_text() for i in range(chain.count())][:3] == ["DEP-12", "M-09", "DEP-16"]
    assert page.locator("svg.plan g.node.critical").count() == chain.count()
    assert page.locator("svg.plan g.moved, svg.plan .moved").count() == 0
    page.screenshot(path=str(SHOTS / "plan.png"), full_page=True)
    before = export_program(pilot, P)
    page.fill("input[name=slip]", "DEP-12")
    page.fill("input[name=days]", "5")
    page.click("form.whatif button")
    page.wait_for_selector(".whatif-answer")
    summary = page.locator(".whatif-answer strong").first.inner_text()
    assert summary.startswith("DEP-12 slips 5 business days -> M-09 slips 5")
    assert page.locator("svg.plan .moved").count() > 0
    page.screenshot(path=str(SHOTS / "plan-what-if.png"), full_page=True)
    assert export_program(pilot, P) == before
    page.click(".whatif a")  # Clear
    page.wait_for_url(f"{base}/p/{P}/plan")
    assert page.locator(".whatif-answer").count() == 0
    page.locator("table.plan-table a.record", has_text="M-11").click()
    page.wait_for_url(f"{base}/p/{P}/records/milestone/M-11")
