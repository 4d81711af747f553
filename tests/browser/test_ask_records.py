"""Ask in a real browser: "Which decisions are overdue?" on the sample program lists only the pending
decisions past their needed-by date, each a link to its record page; every page states the date
it is computed for (the sample's own as-of date, not the real clock)."""

from __future__ import annotations

import pytest

from pilot.sample import SAMPLE_PROGRAM_ID
from tests.browser.test_journey import SHOTS, browser, log_in, served  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
P = SAMPLE_PROGRAM_ID


def test_overdue_decisions_link_to_their_record_pages(served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, tokens, _ = served
    page = log_in(browser, base, tokens["viewer"])
    page.goto(f"{base}/p/{P}/ask")
    page.fill("#q", "Which decisions are overdue?")
    page.click("form.card button")
    page.wait_for_selector("ul.rows")
    links = page.locator("ul.rows a.record")
    assert [links.nth(i).inner_text() for i in range(links.count())] == ["DEC-08", "DEC-09"]
    assert page.locator(".answer .lead").inner_text().startswith("As of 2026-11-20, 2 decisions are overdue")
    page.screenshot(path=str(SHOTS / "ask-overdue-decisions.png"), full_page=True)
    links.nth(1).click()
    page.wait_for_url(f"{base}/p/{P}/records/decision/DEC-09")
    assert page.locator("h1[data-record='decision:DEC-09']").count() == 1
    assert "overdue: needed by 2026-11-18 passed" in page.content()
    assert page.locator("dd a", has_text="Lucas Moreau").count() == 1  # the decider links to their page
    page.screenshot(path=str(SHOTS / "record-DEC-09.png"), full_page=True)


def page_routes() -> list[str]:
    """Every HTML page of the app under /p/{program_id} (downloads are files, not pages)."""
    from fastapi.responses import HTMLResponse
    from fastapi.routing import APIRoute

    from pilot.api.app import create_app
    from pilot.settings import Settings

    def flat(routes: list[object]) -> list[object]:  # included routers hold their own routes
        out: list[object] = []
        for r in routes:
            inner = getattr(r, "original_router", None)
            out += flat(list(inner.routes)) if inner is not None else [r]
        return out

    app = create_app(settings=Settings())  # routes only: the app is not started, nothing is opened
    return sorted(
        r.path
        for r in flat(list(app.routes))
        if isinstance(r, APIRoute)
        and "GET" in r.methods
        and r.path.startswith("/p/{program_id}")
        and r.response_class is HTMLResponse
        and "download" not in r.path
    )


def test_every_program_page_states_its_as_of_date(served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from pilot.pipeline.artifacts import create_artifact_draft
    from pilot.pipeline.extract import submit_extraction
    from pilot.pipeline.jobs import open_runner
    from pilot.pipeline.status import create_status_draft
    from pilot.sample import transcripts_dir

    base, tokens, pilot = served
    transcript = transcripts_dir() / "2026-11-19-ledger-standup.srt"
    submitted = submit_extraction(pilot, open_runner(pilot), P, transcript.read_bytes(), transcript.name)
    values = {
        "program_id": P,
        "record_type": "milestone",
        "record_id": "M-11",
        "person": "priya.raman",
        "document_id": str(submitted.document.document_id),
        "job_id": submitted.job.id,
    }
    drafts = {
        "status": create_status_draft(pilot, P, "exec", use_llm=False).draft.id,
        "artifacts": create_artifact_draft(pilot, P, "readiness", release="M-11").draft.id,
    }
    routes = page_routes()
    assert len(routes) >= 14 and "/p/{program_id}/records/{record_type}/{record_id}" in routes, routes
    page = log_in(browser, base, tokens["admin"])
    for route in routes:
        section = route.split("/")[3]
        path = route.replace("{draft_id}", drafts.get(section, "{draft_id}")).format(**values)
        response = page.goto(f"{base}{path}")
        assert response is not None and response.ok, (path, response and response.status)
        assert page.locator("header .as-of").inner_text() == "as of 2026-11-20", path
    page.goto(f"{base}/")  # the programs list: each program with its own date
    assert "as of 2026-11-20" in page.locator(f"#program-{P} .dash-head").inner_text()
    page.goto(f"{base}/p/{P}/records/milestone/M-11")
    page.screenshot(path=str(SHOTS / "record-M-11.png"), full_page=True)
    assert "re-forecast to" in page.content()  # the milestone's forecast history
