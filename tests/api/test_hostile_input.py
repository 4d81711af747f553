"""Hostile and malformed input answers 4xx with a clear message, never a 500 or a frozen server
(issue 9 items 3, 5 and 6): YAML bombs and deep nesting, invalid draft payloads (and ones already
stored), impossible dates, naive datetimes, huge numbers and lone surrogates."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import update

from pilot.connectors.program_file import parse_program_yaml
from pilot.domain.drafts import DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.programs import export_program
from pilot.pipeline.status import create_status_draft
from pilot.store.tables import DraftRow
from tests.api.conftest import PROGRAM, World

# Six alias levels, each nine times the one before: ~530,000 strings once expanded.
BOMB = (
    "program: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcde", "bcdef", strict=True)
    )
).encode()


def deeply_nested(levels: int) -> bytes:
    return b"program:\n  id: x\n  tags: " + b"[" * levels + b"]" * levels + b"\n"


# --- 3: the YAML bomb and deep nesting --------------------------------------------------------


def test_program_file_loader_refuses_aliases_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(PilotError) as caught:
        parse_program_yaml(BOMB)
    assert time.monotonic() - started < 2.0
    assert caught.value.code == ErrorCode.INVALID_PROGRAM_FILE
    assert "aliases" in caught.value.message and "line 2" in caught.value.message


@pytest.mark.parametrize("levels", [100, 5000])
def test_program_file_loader_refuses_deep_nesting(levels: int) -> None:
    with pytest.raises(PilotError) as caught:
        parse_program_yaml(deeply_nested(levels))
    assert caught.value.code == ErrorCode.INVALID_PROGRAM_FILE
    assert "nested deeper than" in caught.value.message


def test_anchor_without_alias_and_exported_files_still_import(world: World) -> None:
    exported = export_program(world.pilot, PROGRAM).encode()
    assert parse_program_yaml(exported).program.id == PROGRAM
    anchored = exported.replace(b"program:\n", b"program: &p\n", 1)
    assert parse_program_yaml(anchored).program.id == PROGRAM


def test_import_checks_the_role_before_parsing(world: World) -> None:
    for who in ("viewer", "editor", "approver"):
        response = world.client.post("/programs/import", content=BOMB, headers=world.headers(who))
        assert response.status_code == 403, (who, response.text)
        assert "admin" in response.json()["error"]["message"]


def test_import_of_a_bomb_or_deep_file_by_an_admin_is_a_422(world: World) -> None:
    for body, words in ((BOMB, "aliases"), (deeply_nested(20000), "nested deeper")):
        response = world.client.post("/programs/import", content=body, headers=world.headers("admin"))
        assert response.status_code == 422, response.text
        assert words in response.json()["error"]["message"]


# --- 5: every draft payload validated, bad stored ones never a 500 -----------------------------


def _status_draft(world: World) -> str:
    return create_status_draft(world.pilot, PROGRAM, "exec").draft.id


@pytest.mark.parametrize("payload", [{}, {"body": 123}, {"headline": None}, {"body": "x", "extra": 1}])
def test_status_draft_edit_is_validated(world: World, payload: dict[str, object]) -> None:
    draft_id = _status_draft(world)
    response = world.client.put(
        f"/programs/{PROGRAM}/drafts/{draft_id}", json={"payload": payload}, headers=world.headers("editor")
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"] == "invalid status_update draft"


def test_status_draft_edit_of_the_prose_still_works(world: World) -> None:
    draft_id = _status_draft(world)
    current = world.client.get(f"/programs/{PROGRAM}/drafts/{draft_id}", headers=world.headers("viewer"))
    payload = {**current.json()["payload"], "body": "All green. Cutover on track."}
    response = world.client.put(
        f"/programs/{PROGRAM}/drafts/{draft_id}", json={"payload": payload}, headers=world.headers("editor")
    )
    assert response.status_code == 200, response.text
    assert response.json()["payload"]["body"] == "All green. Cutover on track."


def test_a_bad_stored_status_draft_never_makes_a_500(world: World) -> None:
    """Drafts stored before edits were validated (or changed in the database) stay harmless."""
    bad = _status_draft(world)
    with world.pilot.db.transaction() as session:
        session.execute(
            update(DraftRow)
            .where(DraftRow.id == bad)
            .values(payload={"body": 123}, status=DraftStatus.APPROVED.value)
        )
    editor, admin = world.headers("editor"), world.headers("admin")
    created = world.client.post(f"/programs/{PROGRAM}/status", json={"audience": "exec"}, headers=editor)
    assert created.status_code == 201, created.text
    exported = world.client.get(f"/programs/{PROGRAM}/drafts/{bad}/export", headers=editor)
    assert exported.status_code == 409 and bad in exported.json()["error"]["message"]
    pending = _status_draft(world)
    with world.pilot.db.transaction() as session:
        session.execute(update(DraftRow).where(DraftRow.id == pending).values(payload={}))
    approved = world.client.post(
        f"/programs/{PROGRAM}/drafts/{pending}/approve", json={"override_reason": "ok"}, headers=admin
    )
    assert approved.status_code == 409, approved.text
    assert world.client.get(f"/programs/{PROGRAM}/drafts", headers=editor).status_code == 200


# --- 6: each a 4xx with a clear message ----------------------------------------------------------


def test_naive_until_in_a_finding_state_change_is_a_422(world: World) -> None:
    finding = world.finding_ids[PROGRAM]
    response = world.client.post(
        f"/programs/{PROGRAM}/anomalies/{finding}/state",
        json={"state": "snoozed", "reason": "later", "until": "2026-12-01T09:00:00"},
        headers=world.headers("editor"),
    )
    assert response.status_code == 422, response.text
    assert "timezone" in response.text


@pytest.mark.parametrize("offset", [2**63, 2**64, 10**30])
def test_huge_document_offset_is_a_422(world: World, offset: int) -> None:
    response = world.client.get(
        f"/programs/{PROGRAM}/documents", params={"offset": offset}, headers=world.headers("viewer")
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/programs/{p}/status", '{"audience": "\\ud800"}'),
        ("put", "/programs/{p}/drafts/{d}", '{"payload": {"task": "fix \\ud800 now"}}'),
        ("post", "/programs/{p}/ask", '{"question": "what about \\udfff?"}'),
        ("post", "/programs/{p}/drafts/{d}/reject", '{"reason": "\\ud800"}'),
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_a_422(world: World, method: str, path: str, body: str) -> None:
    url = path.format(p=PROGRAM, d=world.draft_ids[PROGRAM])
    headers = {**world.headers("admin"), "content-type": "application/json"}
    response = world.client.request(method.upper(), url, content=body.encode(), headers=headers)
    assert response.status_code == 422, response.text
    assert "surrogate" in response.json()["error"]["message"]


def test_a_valid_surrogate_pair_is_accepted(world: World) -> None:
    url = f"/programs/{PROGRAM}/drafts/{world.draft_ids[PROGRAM]}/reject"
    headers = {**world.headers("admin"), "content-type": "application/json"}
    response = world.client.post(url, content=b'{"reason": "dup \\ud83d\\ude00"}', headers=headers)
    assert response.status_code == 200, response.text


def test_deeply_nested_json_is_a_4xx(world: World) -> None:
    body = '{"payload": ' + "[" * 100000 + "]" * 100000 + "}"
    url = f"/programs/{PROGRAM}/drafts/{world.draft_ids[PROGRAM]}"
    headers = {**world.headers("editor"), "content-type": "application/json"}
    response = world.client.put(url, content=body.encode(), headers=headers)
    assert 400 <= response.status_code < 500, response.text


def test_an_unexpected_error_is_a_logged_500(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """The class of defect: a storage failure answers 500 and leaves its cause in the server log."""
    from pilot.api.routes import programs as routes

    def broken(*_a: object, **_k: object) -> None:
        raise PilotError(ErrorCode.STORAGE, "database error: OperationalError: database is locked")

    original = routes.programs
    routes.programs = broken  # type: ignore[assignment]
    try:
        with caplog.at_level(logging.ERROR, logger="pilot.api"):
            response = world.client.get("/programs", headers=world.headers("viewer"))
    finally:
        routes.programs = original
    assert response.status_code == 500
    assert any("GET /programs answered 500" in r.getMessage() and r.exc_info for r in caplog.records)
