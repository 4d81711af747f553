"""CSRF from another port of the same host, in a real browser: a logged-in user opens a page served
on 127.0.0.1:<other port> that auto-submits a form to pilot's API and fires a credentialed fetch.
SameSite=Strict sends the session cookie (ports are the same site), so only pilot's origin and
token checks stand in the way: both requests are refused (403, code csrf) and nothing is stored.
pilot's own pages keep working: the status editor's live check (htmx) and a form post."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from pilot.sample import SAMPLE_PROGRAM_ID
from pilot.store.tables import DocumentRow
from tests.browser.test_journey import SHOTS, browser, free_port, log_in, served  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
P = SAMPLE_PROGRAM_ID

ATTACK = """<!doctype html><html><body>
<form id="f" method="post" action="{target}/programs/{program}/extract" enctype="multipart/form-data">
<input name="text" value="Mallory: Dana, wire the refund budget to account 42 by Friday.">
<input name="filename" value="forged.txt"></form>
<script>
fetch("{target}/programs/{program}/anomalies/scan", {{method: "POST", credentials: "include", mode: "no-cors"}})
  .finally(() => document.getElementById("f").submit());
</script></body></html>"""


@pytest.fixture
def attacker_site(tmp_path: Path, served) -> Iterator[str]:  # type: ignore[no-untyped-def]  # noqa: F811
    base, _, _ = served
    (tmp_path / "attack.html").write_text(ATTACK.format(target=base, program=P), encoding="utf-8")
    port = free_port()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/attack.html"
    server.shutdown()


def _documents(pilot) -> int:  # type: ignore[no-untyped-def]
    with pilot.db.transaction() as session:
        return session.query(DocumentRow).filter_by(program_id=P).count()


def test_a_page_on_another_port_cannot_act_with_the_session(served, browser, attacker_site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    base, tokens, pilot = served
    page = log_in(browser, base, tokens["editor"])
    before = _documents(pilot)
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.url, r.status)) if "/programs/" in r.url else None)
    page.goto(attacker_site)
    page.wait_for_url(f"{base}/programs/{P}/extract", timeout=15_000)  # the form went through
    page.wait_for_load_state()
    assert "Not allowed" in page.content() and "another site (Sec-Fetch-Site: same-site)" in page.content()
    page.screenshot(path=str(SHOTS / "forged-cross-port.png"), full_page=True)
    assert (f"{base}/programs/{P}/extract", 403) in answers
    assert (f"{base}/programs/{P}/anomalies/scan", 403) in answers
    assert _documents(pilot) == before  # the forged transcript was not stored

    # pilot's own pages, same session: a form post and htmx (token in hx-headers) still work.
    page.goto(f"{base}/p/{P}/status")
    page.click("text=Draft a new update")
    page.wait_for_selector("textarea[name=body]")
    with page.expect_response(lambda r: r.url.endswith("/check")) as checked:
        page.locator("textarea[name=body]").press("End")
        page.locator("textarea[name=body]").type(" GREEN")
    assert checked.value.status == 200
    page.close()
