"""POST /programs/{id}/ask states the date it answered for and takes another one."""

from __future__ import annotations

from tests.api.conftest import PROGRAM, World


def test_ask_answers_as_of_the_date_given(world: World) -> None:
    # D1 (due 2026-10-15, in progress) is overdue on 2026-11-20 and not yet on 2026-10-01.
    now = world.client.post(
        f"/programs/{PROGRAM}/ask",
        json={"question": "Which dependencies are overdue?"},
        headers=world.headers("viewer"),
    )
    assert now.status_code == 200, now.text
    assert [r["record_ref"] for r in now.json()["rows"]] == ["dependency:D1"]
    before = world.client.post(
        f"/programs/{PROGRAM}/ask",
        headers=world.headers("viewer"),
        json={"question": "Which dependencies are overdue?", "as_of": "2026-10-01"},
    )
    body = before.json()
    assert (
        body["as_of"] == "2026-10-01"
        and body["rows"] == []
        and body["text"].startswith("As of 2026-10-01, none")
    )
