"""SQLite under contention (issue 9 item 8): while another process holds the write lock, reads and
authentication go on (they never take it), and a write waits for the lock past SQLite's own busy
timeout instead of answering 500 "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from tests.api.conftest import PROGRAM, World


class WriteLock:
    """Another connection's open write transaction (what a second process or a long job does)."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("BEGIN IMMEDIATE")
        self.released = threading.Event()
        self._closing = threading.Lock()  # the test and the timer thread may both release

    def release_after(self, seconds: float) -> threading.Thread:
        def later() -> None:
            self.released.wait(seconds)
            self.release()

        thread = threading.Thread(target=later, daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        with self._closing:
            connection, self.connection = self.connection, None  # type: ignore[assignment]
        if connection is not None:
            connection.execute("ROLLBACK")
            connection.close()


def db_path(world: World) -> Path:
    database = world.pilot.db.engine.url.database
    assert database is not None
    return Path(database)


def test_reads_and_authentication_do_not_wait_for_a_writer(world: World) -> None:
    viewer = world.headers("viewer")
    assert world.client.get(f"/programs/{PROGRAM}/anomalies", headers=viewer).status_code == 200  # token used
    lock = WriteLock(db_path(world))
    lock.release_after(12.0)  # past SQLite's 10 s busy timeout: a reader that took the lock would fail
    try:
        started = time.monotonic()
        for path in ("/anomalies", "/drafts", "/documents", "/kpis", "/audit", ""):
            response = world.client.get(f"/programs/{PROGRAM}{path}", headers=viewer)
            assert response.status_code == 200, (path, response.text)
        took = time.monotonic() - started
    finally:
        lock.released.set()
        lock.release()
    assert took < 8.0, f"the reads waited for the writer ({took:.1f} s)"


def test_a_write_waits_for_the_lock_past_the_busy_timeout(world: World) -> None:
    editor = world.headers("approver")
    assert world.client.get(f"/programs/{PROGRAM}/drafts", headers=editor).status_code == 200  # token used
    lock = WriteLock(db_path(world))
    releaser = lock.release_after(12.0)
    started = time.monotonic()
    response = world.client.post(
        f"/programs/{PROGRAM}/drafts/{world.draft_ids[PROGRAM]}/reject",
        json={"reason": "duplicate"},
        headers=editor,
    )
    releaser.join()
    assert response.status_code == 200, response.text
    assert time.monotonic() - started >= 11.0  # it did wait for the other writer


def test_authentication_writes_a_token_use_once_not_on_every_request(world: World) -> None:
    from typing import Any

    from sqlalchemy import event

    writes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)

    import dataclasses
    from datetime import timedelta

    from tests.api.conftest import NOW

    ticks = iter(range(10_000))
    app = world.client.app
    app.state.pilot = dataclasses.replace(world.pilot, clock=lambda: NOW + timedelta(seconds=next(ticks)))  # type: ignore[attr-defined]
    engine = world.pilot.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert (
                world.client.get(f"/programs/{PROGRAM}", headers=world.headers("viewer")).status_code == 200
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(writes) == 1  # the first use is recorded; the next ones (seconds later) only read
