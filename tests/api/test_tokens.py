"""API tokens can be listed, revoked by id and made to expire (CLI and API); an expired or revoked
token is refused (401) by the API and the pages; `last_used_at` is written at most once per few
minutes, not on every request; running the demo twice leaves one live demo token, which expires."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import CliRunner

from pilot.api.app import create_app
from pilot.cli.main import build_app
from pilot.domain.auth import Role
from pilot.pipeline.access import issue, issue_demo_token, list_tokens, revoke
from pilot.pipeline.context import open_pilot
from pilot.pipeline.programs import import_program_bytes
from pilot.settings import Settings
from pilot.store import auth as store_auth
from pilot.store.tables import ApiTokenRow
from tests.api.conftest import OTHER, PROGRAM, World
from tests.store.program_factory import SMALL_PROGRAM


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _expire(world: World, token: str, at: datetime) -> None:
    with world.pilot.db.transaction() as session:
        row = session.query(ApiTokenRow).filter_by(token_hash=store_auth.hash_token(token)).one()
        row.expires_at = at


def test_expired_and_revoked_tokens_are_refused(world: World) -> None:
    client = world.client
    assert client.get("/me", headers=world.headers("viewer")).status_code == 200
    _expire(world, world.tokens["viewer"], datetime.now(UTC) - timedelta(seconds=1))
    refused = client.get("/me", headers=world.headers("viewer"))
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    # An expiry in the past on the program clock but not on the machine's: the token still works
    # (the tests' program clock is fixed in November 2026; token lifetimes are real time).
    _expire(world, world.tokens["editor"], datetime.now(UTC) + timedelta(hours=1))
    assert client.get("/me", headers=world.headers("editor")).status_code == 200

    editor = next(t for t in list_tokens(world.pilot) if t.user_id == "editor-user")
    revoke(world.pilot, editor.id)
    assert client.get("/me", headers=world.headers("editor")).status_code == 401
    login = client.post("/login", data={"token": world.tokens["editor"]}, follow_redirects=False)
    assert login.status_code == 401  # the pages refuse it too


def test_a_session_ends_when_its_token_is_revoked(world: World) -> None:
    client = world.client
    assert (
        client.post("/login", data={"token": world.tokens["approver"]}, follow_redirects=False).status_code
        == 303
    )
    assert client.get(f"/p/{PROGRAM}/review", follow_redirects=False).status_code == 200
    approver = next(t for t in list_tokens(world.pilot) if t.user_id == "approver-user")
    revoke(world.pilot, approver.id, reason="laptop lost")
    page = client.get(f"/p/{PROGRAM}/review", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def _token_writes(pilot: Any) -> list[str]:
    writes: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)

    event.listen(pilot.db.engine, "before_cursor_execute", record)
    return writes


def test_last_used_is_written_at_most_once_per_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'api.db'}")
    pilot = open_pilot(settings, actor="setup")  # the machine's clock, as `pilot serve` runs
    import_program_bytes(pilot, SMALL_PROGRAM.encode(), source="small.yaml")
    token = issue(pilot, user_id="ana", role=Role.VIEWER, program_id=PROGRAM).token
    writes = _token_writes(pilot)
    with TestClient(create_app(context=pilot)) as client:
        for _ in range(30):
            assert client.get(f"/programs/{PROGRAM}", headers=_bearer(token)).status_code == 200
        assert len(writes) == 1  # the first use; the next 29 within five minutes write nothing
        first = list_tokens(pilot)[0].last_used_at
        assert first is not None and datetime.now(UTC) - first < timedelta(minutes=1)
        later = datetime.now(UTC) + store_auth.LAST_USED_EVERY + timedelta(seconds=1)
        monkeypatch.setattr(store_auth, "wall_clock", lambda: later)
        monkeypatch.setattr("pilot.pipeline.access.wall_clock", lambda: later)
        client.get(f"/programs/{PROGRAM}", headers=_bearer(token))
        client.get(f"/programs/{PROGRAM}", headers=_bearer(token))
        assert len(writes) == 2
        assert list_tokens(pilot)[0].last_used_at == later
    pilot.close()


def test_the_token_api_is_scoped_to_what_the_caller_administers(world: World) -> None:
    client, pilot = world.client, world.pilot
    root = issue(pilot, user_id="root", role=Role.ADMIN).token  # admin of every program
    # A program admin sees the tokens of users within their program, never the outsider's or root's.
    seen = {t["user_id"] for t in client.get("/tokens", headers=world.headers("admin")).json()}
    assert {"viewer-user", "editor-user", "approver-user", "admin-user"} <= seen
    assert "outsider" not in seen and "root" not in seen
    assert "token" not in json.dumps(client.get("/tokens", headers=_bearer(root)).json()).replace(
        '"token_', ""
    )
    assert {t["user_id"] for t in client.get("/tokens", headers=_bearer(root)).json()} >= seen | {
        "outsider",
        "root",
    }
    # A viewer sees only their own.
    assert {t["user_id"] for t in client.get("/tokens", headers=world.headers("viewer")).json()} == {
        "viewer-user"
    }

    made = client.post("/tokens", headers=world.headers("admin"),
                       json={"user": "new-bot", "role": "editor", "program": PROGRAM, "expires_in_days": 30})  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["token"].startswith("plt_") and body["info"]["state"] == "active"
    expires = datetime.fromisoformat(body["info"]["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert client.get(f"/programs/{PROGRAM}", headers=_bearer(body["token"])).status_code == 200

    for escalation in ({"user": "root", "role": "viewer", "program": PROGRAM},  # a token for root
                       {"user": "x", "role": "admin", "program": "*"},  # a grant on every program
                       {"user": "x", "role": "admin", "program": OTHER}):  # fmt: skip
        assert client.post("/tokens", headers=world.headers("admin"), json=escalation).status_code == 403
    assert client.post("/tokens", headers=world.headers("editor"),
                       json={"user": "y", "role": "viewer", "program": PROGRAM}).status_code == 403  # fmt: skip

    outsider = next(t for t in list_tokens(pilot) if t.user_id == "outsider")
    assert client.post(f"/tokens/{outsider.id}/revoke", headers=world.headers("admin")).status_code == 404
    revoked = client.post(
        f"/tokens/{body['info']['id']}/revoke", headers=world.headers("admin"), json={"reason": "done"}
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert client.get(f"/programs/{PROGRAM}", headers=_bearer(body["token"])).status_code == 401
    own = next(t for t in list_tokens(pilot) if t.user_id == "viewer-user")
    assert client.post(f"/tokens/{own.id}/revoke", headers=world.headers("viewer")).status_code == 200
    assert client.get("/me", headers=world.headers("viewer")).status_code == 401


def test_cli_creates_lists_and_revokes_by_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PILOT_DATA_DIR", str(tmp_path / "cli"))
    app, runner = build_app(), CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    made = run("token", "create", "--user", "ana", "--role", "viewer", "--expires-in", "12h", "--json")
    assert (
        timedelta(hours=11)
        < datetime.fromisoformat(made["expires_at"]) - datetime.now(UTC)
        <= timedelta(hours=12)
    )
    last_day = (datetime.now(UTC) + timedelta(days=400)).date()
    other = run(
        "token", "create", "--user", "bo", "--role", "editor", "--expires", last_day.isoformat(), "--json"
    )
    assert other["expires_at"].startswith(
        f"{last_day + timedelta(days=1)}T00:00:00"
    )  # works through that day
    far = runner.invoke(
        app, ["token", "create", "--user", "c", "--role", "viewer", "--expires", "2099-01-31"]
    )
    assert far.exit_code == 2 and "within 10 years" in far.output
    listed = run("token", "list", "--json")
    assert [t["id"] for t in listed] == [made["id"], other["id"]]
    assert made["token"] not in json.dumps(listed) and listed[0]["prefix"] == made["token"][:10]
    assert run("token", "revoke", str(made["id"]), "--json")["state"] == "revoked"
    assert [t["id"] for t in run("token", "list", "--json")] == [other["id"]]
    assert {t["state"] for t in run("token", "list", "--all", "--json")} == {"revoked", "active"}
    missing = runner.invoke(app, ["token", "revoke", "999"])
    assert missing.exit_code == 2 and "not found" in missing.output
    bad = runner.invoke(app, ["token", "create", "--user", "c", "--role", "viewer", "--expires-in", "soon"])
    assert bad.exit_code == 2 and "90m, 12h, 30d, 2w" in bad.output
    table = runner.invoke(app, ["token", "list"])
    assert table.exit_code == 0 and "bo" in table.stdout and other["token"] not in table.stdout


def test_the_demo_keeps_one_live_admin_token_that_expires(world: World) -> None:
    first = issue_demo_token(world.pilot, PROGRAM)
    second = issue_demo_token(world.pilot, PROGRAM)
    demo = list_tokens(world.pilot, user_id="demo-admin", include_inactive=True)
    assert [t.state for t in demo] == ["revoked", "active"]
    assert second.info.expires_at is not None
    assert timedelta(days=6) < second.info.expires_at - datetime.now(UTC) <= timedelta(days=7)
    assert world.client.get("/me", headers=_bearer(first.token)).status_code == 401
    assert world.client.get("/me", headers=_bearer(second.token)).status_code == 200
