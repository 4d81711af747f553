"""CSRF through the session cookie: every state-changing request authenticated by the cookie (API,
pages, htmx endpoints) needs the session's CSRF token (header or form field) and must come from
this origin; a page on another port of the same host is another origin. Bearer requests are not
affected. The pages send the token: hidden fields in forms, `hx-headers` on the body for htmx."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from pilot.sample import SAMPLE_PROGRAM_ID
from tests.web.test_pages import login

P = SAMPLE_PROGRAM_ID
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CROSS_PORT = "http://testserver:9000"  # the app answers as http://testserver (port 80)
PARAMS = {"program_id": P, "draft_id": "d0", "finding_id": "1", "job_id": "j0", "source": "jira",
          "action": "approve", "person": "x", "fmt": "md", "token_id": "1"}  # fmt: skip


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # FastAPI >= 0.165 wraps included routers
            found.extend(_api_routes(route.original_router.routes))
    return found


def unsafe_routes(client: TestClient) -> list[tuple[str, str]]:
    found = []
    for route in _api_routes(client.app.routes):  # type: ignore[attr-defined]
        for method in sorted(route.methods & UNSAFE):
            path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMS.get(m.group(1), "1"), route.path)
            found.append((method, path))
    return found


def _error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def test_every_change_with_the_session_cookie_needs_the_token(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    login(client, tokens["admin"])
    routes = unsafe_routes(client)
    assert len(routes) >= 25 and ("POST", f"/programs/{P}/extract") in routes
    for method, path in routes:
        if path == "/login":
            continue
        response = client.request(method, path, json={})
        assert response.status_code == 403, (method, path, response.status_code, response.text[:200])
        assert _error(response)["code"] == "csrf" and _error(response)["details"]["reason"] == "missing_token"


def test_every_change_from_another_origin_is_refused_even_with_the_token(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["admin"])
    for method, path in unsafe_routes(client):
        for headers in ({"Origin": CROSS_PORT}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"},
                        {"Origin": "http://evil.testserver"}, {"Sec-Fetch-Site": "cross-site"}):  # fmt: skip
            response = client.request(method, path, json={}, headers={**headers, "X-CSRF-Token": csrf})
            assert response.status_code == 403, (method, path, headers, response.text[:200])
            assert _error(response)["details"]["reason"] == "cross_origin"


def test_the_reported_forgeries_fail_and_the_same_requests_from_the_site_work(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["editor"])
    forged = {"Origin": CROSS_PORT, "Sec-Fetch-Site": "same-site"}  # a page on :9000 auto-submitting
    transcript = {"text": "Priya: Marcus, can you finish the refund backfill by Friday?", "filename": "x.txt"}
    assert client.post(f"/programs/{P}/extract", data=transcript, headers=forged).status_code == 403
    assert client.post(f"/programs/{P}/anomalies/scan", headers=forged).status_code == 403
    assert client.post(f"/programs/{P}/anomalies/scan").status_code == 403  # no token at all
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin", "X-CSRF-Token": csrf}
    assert client.post(f"/programs/{P}/anomalies/scan", headers=own).status_code == 200
    assert client.post(f"/programs/{P}/extract", data=transcript, headers=own).status_code == 202
    wrong = {**own, "X-CSRF-Token": "0" * 32}
    refused = client.post(f"/programs/{P}/anomalies/scan", headers=wrong)
    assert refused.status_code == 403 and _error(refused)["details"]["reason"] == "bad_token"


def test_bearer_requests_are_unaffected(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    login(client, tokens["viewer"])  # a session cookie is there too: the bearer token decides
    bearer = {"Authorization": f"Bearer {tokens['editor']}", "Origin": CROSS_PORT}
    assert client.post(f"/programs/{P}/anomalies/scan", headers=bearer).status_code == 200


def test_htmx_endpoints_and_forms_need_the_token(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["approver"])
    created = client.post(f"/p/{P}/status", data={"audience": "exec", "csrf": csrf})
    editor = created.headers["location"]
    for endpoint in ("check", "preview"):
        assert client.post(f"{editor}/{endpoint}", data={"body": "x"}).status_code == 403
        assert (
            client.post(
                f"{editor}/{endpoint}", data={"body": "x"}, headers={"X-CSRF-Token": csrf}
            ).status_code
            == 200
        )
    assert client.post(f"/p/{P}/scan", data={}).status_code == 403
    assert client.post(f"/p/{P}/scan", data={"csrf": csrf}).status_code == 303
    page = client.post(f"/p/{P}/scan", data={}, headers={"Accept": "text/html"})
    assert page.status_code == 403 and "<h1>Not allowed</h1>" in page.text  # a page, not JSON
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303


def test_every_page_sends_the_token_with_every_form_and_htmx_request(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens["admin"])
    created = client.post(f"/p/{P}/status", data={"audience": "exec", "csrf": csrf})
    pages = ["/", f"/p/{P}/anomalies", f"/p/{P}/review", f"/p/{P}/transcripts", f"/p/{P}/status",
             created.headers["location"], f"/p/{P}/artifacts", f"/p/{P}/people", f"/p/{P}/plan"]  # fmt: skip
    for path in pages:
        page = client.get(path).text
        assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page, path
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", page, re.S | re.I):
            assert f'name="csrf" value="{csrf}"' in form, (path, form[:200])


@pytest.mark.parametrize("origin", [CROSS_PORT, "http://evil.example"])
def test_login_from_another_origin_is_refused(site, origin: str) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    response = client.post("/login", data={"token": tokens["viewer"]}, headers={"Origin": origin})
    assert response.status_code == 403 and "pilot_session" not in response.headers.get("set-cookie", "")
    same = client.post("/login", data={"token": tokens["viewer"]}, headers={"Origin": "http://testserver"})
    assert same.status_code == 303


def test_a_trusted_origin_may_post(site, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    csrf = login(client, tokens["editor"])
    proxy = {"Origin": "https://pilot.example.com", "X-CSRF-Token": csrf}
    assert client.post(f"/programs/{P}/anomalies/scan", headers=proxy).status_code == 403
    monkeypatch.setattr(pilot.settings, "trusted_origins", "https://pilot.example.com")
    assert client.post(f"/programs/{P}/anomalies/scan", headers=proxy).status_code == 200


def _request(host: str, scheme: str = "http", **headers: str) -> Any:
    from starlette.requests import Request

    raw = [(b"host", host.encode())] + [
        (k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()
    ]
    return Request({"type": "http", "method": "POST", "scheme": scheme, "path": "/", "headers": raw,
                    "server": ("x", 80), "query_string": b""})  # fmt: skip


@pytest.mark.parametrize(
    ("host", "scheme", "origin", "same"),
    [
        ("127.0.0.1:8000", "http", "http://127.0.0.1:8000", True),
        ("127.0.0.1:8000", "http", "http://127.0.0.1:9000", False),  # another port: another origin
        ("127.0.0.1:8000", "http", "http://localhost:8000", False),
        ("pilot.example.com", "http", "https://pilot.example.com", True),  # TLS ends at a proxy
        ("pilot.example.com", "https", "https://pilot.example.com:8443", False),
        ("pilot.example.com", "https", "https://evil.pilot.example.com", False),  # a sibling subdomain
        ("[::1]:8000", "http", "http://[::1]:8000", True),
        ("[::1]:8000", "http", "http://[::1]:8001", False),
        ("pilot.example.com", "https", "null", False),
    ],
)
def test_the_origin_must_be_this_site(host: str, scheme: str, origin: str, same: bool) -> None:
    from pilot.api.csrf import cross_site_reason

    assert (cross_site_reason(_request(host, scheme, origin=origin), []) is None) is same
