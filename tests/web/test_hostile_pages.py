"""Bad form input on the pages is a 4xx page saying what is wrong (issue 9 items 6 and 7), and
every numeric parameter of every route has bounds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from pilot.api.app import create_app
from pilot.domain.auth import Role
from pilot.pipeline.anomalies import anomalies
from tests.web.test_pages import MEETING, P, login


def test_impossible_meeting_date_on_the_upload_page_is_a_422(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    csrf = login(client, tokens[Role.EDITOR.value])
    for bad in ("2026-02-30", "2026-13-01", "yesterday"):
        response = client.post(
            f"/p/{P}/transcripts", data={"text": MEETING, "meeting_date": bad, "csrf": csrf}
        )
        assert response.status_code == 422, (bad, response.text[:300])
        assert "is not a date" in response.text


def test_huge_snooze_days_on_a_finding_is_a_422(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    csrf = login(client, tokens[Role.EDITOR.value])
    finding = anomalies(pilot, P)[0]
    for days in (10**9, 10**30, -1):
        response = client.post(
            f"/p/{P}/findings/{finding.id}",
            data={"state": "snoozed", "reason": "later", "days": str(days), "csrf": csrf},
        )
        assert response.status_code == 422, (days, response.status_code)


def test_odd_digits_in_page_queries_are_ignored_not_a_500(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    login(client, tokens[Role.VIEWER.value])
    for query in ("done=resolved-%C2%B2", "new=%C2%B2,3", "turn=99999999999999999999999"):
        response = client.get(f"/p/{P}/anomalies?{query}")
        assert response.status_code < 500, query
    assert client.get(f"/p/{P}/documents/1?turn=99999999999999999999999").status_code == 422


def test_a_pasted_transcript_over_one_megabyte_is_accepted(site) -> None:  # type: ignore[no-untyped-def]
    """Starlette's 1 MB form-field default no longer applies: the limit is PILOT_MAX_TRANSCRIPT_BYTES."""
    client, _, tokens = site
    csrf = login(client, tokens[Role.EDITOR.value])
    text = MEETING * (3 * 1024 * 1024 // len(MEETING))  # ~3 MB pasted
    response = client.post(f"/p/{P}/transcripts", data={"text": text, "csrf": csrf})
    assert response.status_code == 303, response.text[:300]
    api = client.post(
        f"/programs/{P}/extract",
        data={"text": text, "filename": "big.txt"},
        headers={"Authorization": f"Bearer {tokens[Role.EDITOR.value]}"},
    )
    assert api.status_code == 202, api.text[:300]


def test_a_pasted_transcript_over_the_documented_limit_is_refused_clearly(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from pilot.pipeline.access import issue_token
    from pilot.pipeline.context import open_pilot
    from pilot.pipeline.programs import import_program_file
    from pilot.sample import sample_program_path
    from pilot.settings import Settings

    settings = Settings(
        data_dir=tmp_path / "d",
        database_url=f"sqlite:///{tmp_path / 'w.db'}",
        max_transcript_bytes=2 * 1024 * 1024,
    )
    pilot = open_pilot(settings, actor="setup")
    import_program_file(pilot, sample_program_path())
    token = issue_token(pilot, user_id="e", role=Role.EDITOR, program_id=P)
    with TestClient(create_app(context=pilot)) as client:
        response = client.post(
            f"/programs/{P}/extract",
            data={"text": "x" * (3 * 1024 * 1024)},
            headers={"Authorization": f"Bearer {token}"},
        )
    pilot.close()
    assert 400 <= response.status_code < 500
    assert "larger than" in response.text or "exceeded" in response.text


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)


def _params(dependant: Any) -> Iterator[Any]:
    yield from dependant.query_params
    yield from dependant.path_params
    yield from dependant.body_params
    for sub in dependant.dependencies:
        yield from _params(sub)


def test_every_numeric_parameter_of_every_route_is_bounded() -> None:
    """A number from a URL or a form reaches timedelta, OFFSET or SQLite: unbounded it overflows."""
    unbounded = []
    checked = 0
    for route in _routes(create_app().routes):
        for param in _params(route.dependant):
            if not any(t in str(param.field_info.annotation) for t in ("int", "float")):
                continue
            checked += 1
            kinds = {type(m).__name__ for m in param.field_info.metadata}
            if not ({"Ge", "Gt"} & kinds and {"Le", "Lt"} & kinds):
                unbounded.append(f"{route.path} {param.name}")
    assert checked >= 10
    assert unbounded == []


def test_huge_numbers_in_api_queries_are_a_422(site) -> None:  # type: ignore[no-untyped-def]
    client, _, tokens = site
    headers = {"Authorization": f"Bearer {tokens[Role.VIEWER.value]}"}
    for value in ("2**63", str(2**63), "9" * 5000):
        for url in (f"/programs/{P}/documents?offset={value}", f"/programs/{P}/audit?limit={value}"):
            assert client.get(url, headers=headers).status_code == 422, url
