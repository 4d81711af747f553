"""The status editor over HTTP: Approve saves the editor's text first (or refuses, keeping it),
a Markdown preview rendered on the server with nothing raw let through, exports as downloads,
and drafting again replacing the pending draft."""

from __future__ import annotations

import html
import re

from pilot.pipeline import review
from tests.web.test_pages import P, login

GREEN = "GREEN"


def new_draft(client, csrf: str, audience: str = "exec") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    created = client.post(f"/p/{P}/status", data={"audience": audience, "csrf": csrf})
    assert created.status_code == 303
    url = created.headers["location"]
    page = client.get(url).text
    body = re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert body, page[:2000]
    return url, html.unescape(body.group(1))


def test_approve_saves_the_typed_text_first(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    csrf = login(client, tokens["approver"])
    url, text = new_draft(client, csrf)
    typed = text.replace("## Milestones", "Typed, never saved.\r\n\r\n## Milestones")
    response = client.post(f"{url}/approve", data={"body": typed, "csrf": csrf})
    assert response.status_code == 303 and response.headers["location"].endswith("?notice=approved-saved")
    draft = review.get_draft(pilot, P, url.rsplit("/", 1)[1])
    assert draft.status.value == "approved"
    assert "Typed, never saved.\n\n## Milestones" in str(draft.payload["body"])  # CRLF as typed, LF stored
    assert (
        "your edits were saved, then the update was approved"
        in client.get(response.headers["location"]).text.lower()
    )


def test_approve_with_new_errors_saves_and_asks_for_a_reason(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    csrf = login(client, tokens["approver"])
    url, text = new_draft(client, csrf)
    typed = text.replace("RED", GREEN, 1)  # contradicts the computed colour: an error finding
    response = client.post(f"{url}/approve", data={"body": typed, "csrf": csrf})
    assert response.headers["location"].endswith("?notice=needs-reason")
    draft = review.get_draft(pilot, P, url.rsplit("/", 1)[1])
    assert draft.status.value == "pending" and GREEN in str(draft.payload["body"])  # kept
    page = client.get(response.headers["location"]).text
    assert "Your text is saved" in page and 'name="reason" required' in page
    response = client.post(
        f"{url}/approve", data={"body": typed, "reason": "sponsor's wording", "csrf": csrf}
    )
    assert response.headers["location"].endswith("?notice=approved")
    assert review.get_draft(pilot, P, draft.id).status.value == "approved"


def test_text_typed_into_a_draft_that_left_the_queue_is_handed_back(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["approver"])
    url, text = new_draft(client, csrf)
    newer, _ = new_draft(client, csrf)  # replaces the first draft
    response = client.post(f"{url}/save", data={"body": text + "\nMy last paragraph.\n", "csrf": csrf})
    assert response.status_code == 200
    assert "was <strong>not saved</strong>" in response.text and "My last paragraph." in response.text
    assert f'href="{newer}"' in response.text


def test_preview_is_rendered_markdown_with_nothing_raw(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["editor"])
    url, _ = new_draft(client, csrf)
    page = client.get(url).text
    assert '<div id="preview"' in page and "<h2>Decisions needed</h2>" in page and "<strong>DEC-09:" in page
    evil = "# Hi\n\n<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![t](https://t.example/p.png)"
    preview = client.post(f"{url}/preview", data={"body": evil}, headers={"X-CSRF-Token": csrf}).text
    assert "<h1>Hi</h1>" in preview and "<script" not in preview and "<img" not in preview
    assert "&lt;script&gt;" in preview and 'href="javascript' not in preview


def test_exports_download_as_files(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    url, _ = new_draft(client, login(client, tokens["editor"]))
    login(client, tokens["viewer"])  # reading is enough to download
    page = client.get(url).text
    for fmt, suffix, start in (
        ("md", "md", "# Payments"),
        ("html", "html", "<div"),
        ("slack", "txt", "*Payments"),
    ):
        assert f'href="{url}/download.{fmt}" download' in page
        response = client.get(f"{url}/download.{fmt}")
        assert response.status_code == 200 and response.text.startswith(start)
        disposition = response.headers["content-disposition"]
        assert disposition == f'attachment; filename="{P}-status-exec-2026-11-20.{suffix}"'
    assert client.get(f"{url}/download.pdf").status_code == 404


def test_drafting_again_replaces_the_pending_draft(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["editor"])
    first, _ = new_draft(client, csrf)
    second, _ = new_draft(client, csrf)
    listing = client.get(f"/p/{P}/status").text
    assert listing.count('"badge state pending"') == 1 and listing.count('"badge state superseded"') == 1
    old = client.get(first).text
    assert "A newer draft for this audience replaced this one" in old and f'href="{second}"' in old
    assert 'id="body"' not in old  # read-only
