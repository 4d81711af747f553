"""Stored XSS through links: `javascript:` URLs planted through every connector (PagerDuty, Jira and
GitHub answers uploaded to `POST /programs/{id}/documents`, a program file) are never rendered as
links on any page; documents are kept without the link and say why. Rows stored by an earlier
version with such a link are not rendered as links either (the template filter and the page check)."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from pilot.pipeline.context import Pilot
from pilot.sample import SAMPLE_PROGRAM_ID, sample_program_path
from pilot.store.tables import ChunkRow, DocumentRow
from tests.web.hostile_links import MARKER, PAYLOADS, bad_links, hostile_uploads, links
from tests.web.test_pages import login

P = SAMPLE_PROGRAM_ID


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _upload_hostile(client: TestClient, token: str) -> list[dict]:  # type: ignore[type-arg]
    for name, data in hostile_uploads():
        response = client.post(
            f"/programs/{P}/documents", files={"file": (name, data)}, headers=_bearer(token)
        )
        assert response.status_code == 201, response.text
    docs: list[dict] = []  # type: ignore[type-arg]
    for _ in range(1800):  # the upload's index job runs in the background
        docs = [d for d in client.get(f"/programs/{P}/documents", headers=_bearer(token)).json()
                if MARKER in d["title"].lower()]  # fmt: skip
        if len(docs) == 3 and all(d["index_state"] == "indexed" for d in docs):
            break
        time.sleep(0.1)
    assert len(docs) == 3 and all(d["index_state"] == "indexed" for d in docs), [
        (d["index_state"], d.get("index_error")) for d in docs
    ]
    return docs


def _assert_no_bad_links(page: str, where: str) -> None:
    assert bad_links(page) == [], where
    assert not any("javascript" in value.lower() for _, _, value in links(page)), where


def test_links_planted_through_each_connector_are_never_rendered(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    docs = _upload_hostile(client, tokens["editor"])
    for doc in docs:  # kept, without the link, saying why
        assert doc["url"] is None
        assert any("not an http(s) link" in w for w in doc["warnings"]), doc
    login(client, tokens["editor"])
    pages = {f"/p/{P}/documents/{d['id']}": "document" for d in docs}
    pages.update({f"/p/{P}/transcripts": "documents list", f"/p/{P}/ask?q={MARKER}": "ask", f"/p/{P}/review": "review",
                  f"/p/{P}/anomalies": "anomalies", f"/p/{P}/records/incident/INC-2041": "record", "/": "home"})  # fmt: skip
    for path, what in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        _assert_no_bad_links(response.text, path)
        if what == "document":
            assert "not an http(s) link" in response.text  # the warning is on the page
    ask = client.get(f"/p/{P}/ask?q={MARKER}").text
    assert ask.count("open source") >= 1 and MARKER in ask.lower()  # the planted documents are cited


def test_links_stored_by_an_earlier_version_are_not_rendered(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    docs = _upload_hostile(client, tokens["editor"])
    _plant_in_rows(pilot, [d["id"] for d in docs])
    login(client, tokens["viewer"])
    for doc in docs:
        page = client.get(f"/p/{P}/documents/{doc['id']}").text
        assert "javascript:" in page  # shown as text (escaped), never as a link
        _assert_no_bad_links(page, doc["title"])
    ask = client.get(f"/p/{P}/ask?q={MARKER}")
    _assert_no_bad_links(ask.text, "ask")
    assert ask.text.count("open source") >= 1
    answer = client.post(
        f"/programs/{P}/ask", json={"question": f"{MARKER} incident"}, headers=_bearer(tokens["viewer"])
    )
    assert answer.status_code == 200
    assert all(c.get("url") is None or c["url"].startswith("http") for c in answer.json()["citations"])


def _plant_in_rows(pilot: Pilot, doc_ids: list[int]) -> None:
    """What an earlier version stored: the hostile link in the document row and chunk metadata."""
    with pilot.db.transaction() as session:
        for doc_id in doc_ids:
            row = session.get(DocumentRow, doc_id)
            assert row is not None
            row.url = PAYLOADS["pagerduty"]
            row.warnings = []
            key = f"{row.source}:{row.external_id}"
            for chunk in session.execute(select(ChunkRow).where(ChunkRow.document_key == key)).scalars():
                chunk.meta = {**chunk.meta, "url": PAYLOADS["github"]}


def test_a_program_file_with_a_hostile_link_is_refused_and_a_web_link_is_rendered(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    text = sample_program_path().read_text(encoding="utf-8")
    hostile = text.replace("postmortem_url: https://", "postmortem_url: javascript:alert(1)//", 1)
    refused = client.post("/programs/import", content=hostile.encode(), headers=_bearer(tokens["admin"]))
    assert refused.status_code == 422 and "postmortem_url" in refused.text, refused.text[:500]
    login(client, tokens["viewer"])
    page = client.get(f"/p/{P}/records/incident/INC-2041").text
    _assert_no_bad_links(page, "record")
    assert re.search(
        r'<a href="https://wiki\.acmepay\.example/postmortems/INC-2041"', page
    )  # http(s) is a link


def test_the_status_preview_renders_no_other_scheme(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["editor"])
    created = client.post(f"/p/{P}/status", data={"audience": "exec", "csrf": csrf})
    assert created.status_code == 303
    draft = created.headers["location"].rsplit("/", 1)[1]
    body = "[a](javascript:alert(1)) [b](JAVA&#x09;SCRIPT:alert(1)) <javascript:alert(1)> [m](mailto:x@y.z) [ok](https://x.example/)"
    preview = client.post(f"/p/{P}/status/{draft}/preview", data={"body": body, "csrf": csrf},
                          headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert preview.status_code == 200
    _assert_no_bad_links(preview.text, "preview")
    assert [v for _, _, v in links(preview.text)] == ["https://x.example/"]
