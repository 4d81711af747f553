"""Stored XSS in a real browser: `javascript:` URLs planted through every connector (PagerDuty, Jira
and GitHub answers uploaded to `POST /programs/{id}/documents`, a program file, and rows an earlier
version stored) never become links: on every page that shows documents or records (document pages,
the documents list, ask citations, record pages, the review queue, anomalies, home), every URL
attribute resolves to http(s), and no planted script runs."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from pilot.sample import SAMPLE_PROGRAM_ID, sample_program_path
from pilot.store.tables import ChunkRow, DocumentRow
from tests.browser.test_journey import SHOTS, browser, log_in, served  # noqa: F401 - fixtures
from tests.web.hostile_links import MARKER, PAYLOADS, hostile_uploads

pytestmark = pytest.mark.browser
P = SAMPLE_PROGRAM_ID

# Every attribute a browser follows or fetches, resolved the way the browser resolves it.
NON_WEB_LINKS = """() => {
  const names = ["href", "src", "action", "formaction", "poster", "cite", "data", "xlink:href", "ping",
                 "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"];
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const name of names) {
      const value = el.getAttribute(name);
      if (value === null) continue;
      let protocol;
      try { protocol = new URL(value, document.baseURI).protocol; } catch (e) { protocol = "invalid:"; }
      if (protocol !== "http:" && protocol !== "https:") bad.push(`${el.tagName} ${name}=${value}`);
    }
  }
  return bad;
}"""


def _plant(base: str, tokens: dict[str, str]) -> tuple[list[dict[str, Any]], httpx.Response]:
    editor = {"Authorization": f"Bearer {tokens['editor']}"}
    with httpx.Client(base_url=base, timeout=60) as http:
        for name, data in hostile_uploads():
            assert (
                http.post(
                    f"/programs/{P}/documents", files={"file": (name, data)}, headers=editor
                ).status_code
                == 201
            )
        text = sample_program_path().read_text(encoding="utf-8")
        hostile = text.replace("postmortem_url: https://", f"postmortem_url: {PAYLOADS['pagerduty']}//", 1)
        imported = http.post("/programs/import", content=hostile.encode(),
                             headers={"Authorization": f"Bearer {tokens['admin']}"})  # fmt: skip
        assert imported.status_code in (200, 422)  # refused (422, naming the field), checked below
        for _ in range(1800):
            docs = [
                d
                for d in http.get(f"/programs/{P}/documents", headers=editor).json()
                if MARKER in d["title"].lower()
            ]
            if len(docs) == 3 and all(d["index_state"] == "indexed" for d in docs):
                return docs, imported
            time.sleep(0.1)
    raise AssertionError(f"the planted documents were not indexed: {docs}")


def _as_an_earlier_version_stored(pilot: Any, doc_id: int) -> None:
    with pilot.db.transaction() as session:
        row = session.get(DocumentRow, doc_id)
        row.url = PAYLOADS["github"]
        for chunk in session.query(ChunkRow).filter_by(document_key=f"{row.source}:{row.external_id}"):
            chunk.meta = {**chunk.meta, "url": PAYLOADS["jira"]}


def test_no_page_renders_a_planted_javascript_link(served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, tokens, pilot = served
    docs, imported = _plant(base, tokens)
    _as_an_earlier_version_stored(pilot, docs[0]["id"])
    page = log_in(browser, base, tokens["admin"])
    ran: list[str] = []
    page.on("console", lambda message: ran.append(message.text) if message.type == "log" else None)
    page.on("dialog", lambda dialog: (ran.append(dialog.message), dialog.dismiss()))
    paths = [f"/p/{P}/documents/{d['id']}" for d in docs] + [
        f"/p/{P}/transcripts", f"/p/{P}/ask?q={MARKER}", f"/p/{P}/ask?q={MARKER}+incident+card+vault",
        f"/p/{P}/records/incident/INC-2041", f"/p/{P}/records/milestone/M-11", f"/p/{P}/review",
        f"/p/{P}/anomalies", "/",
    ]  # fmt: skip
    for path in paths:
        page.goto(f"{base}{path}")
        assert page.evaluate(NON_WEB_LINKS) == [], path
        for anchor in page.locator("a").all():  # nothing that looks like the planted links either
            assert "javascript" not in (anchor.get_attribute("href") or "").lower(), path
    page.goto(f"{base}/p/{P}/ask?q={MARKER}")
    hits = page.locator("ol.hits li")
    assert hits.count() >= 1 and MARKER in hits.first.inner_text().lower()  # the planted documents are cited
    page.screenshot(path=str(SHOTS / "ask-planted-links.png"), full_page=True)
    page.locator("text=open source").first.click()
    page.wait_for_load_state()
    assert "not an http(s) link" in page.content()
    page.screenshot(path=str(SHOTS / "document-planted-link.png"), full_page=True)
    page.goto(f"{base}/p/{P}/records/incident/INC-2041")
    postmortem = page.locator("a", has_text="postmortems/INC-2041")
    assert postmortem.count() == 1 and postmortem.get_attribute("href", timeout=1000).startswith("https://")
    assert ran == [], ran  # no planted script ran
    assert all(d["url"] is None and d["warnings"] for d in docs)  # kept, without the link, saying why
    assert imported.status_code == 422 and "postmortem_url" in imported.text  # the program file: refused
    page.close()
