"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL by URL.

The schema is owned by Alembic migrations in `pilot/store/migrations`. `open_database` migrates
the embedded SQLite file itself; a PostgreSQL database is upgraded by `pilot db upgrade` (a deploy
step) and every process checks its revision when it opens it.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pilot.domain.errors import ErrorCode, PilotError
from pilot.store import json_columns

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back entirely on any error.

        On SQLite it takes the write lock as it starts (BEGIN IMMEDIATE), waiting for it up to
        `WRITE_LOCK_WAIT_S` while other writers commit: the wait is retried before any of the
        block has run, so a busy database delays a write and does not fail it."""
        session = self.sessions()
        try:
            if self.is_sqlite:
                _begin_with_write_lock(session)
            else:
                session.begin()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
        except SQLAlchemyError as exc:
            raise PilotError(ErrorCode.STORAGE, f"database error: {exc.__class__.__name__}: {exc}") from exc
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only unit of work: on SQLite it does not take the write lock, so readers never
        wait for each other and wait for a writer only while it commits. Writing in it is a bug
        (it would fail under load), refused at once."""
        session = Session(bind=self.engine.execution_options(pilot_read_only=True), expire_on_commit=False)
        event.listen(session, "before_flush", _refuse_writes)
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise PilotError(ErrorCode.STORAGE, f"database error: {exc.__class__.__name__}: {exc}") from exc
        finally:
            session.close()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


# How long a write waits for SQLite's write lock in all (other writers commit in milliseconds; a
# long wait means a stuck writer, and the error then says so).
WRITE_LOCK_WAIT_S = 60.0


def _begin_with_write_lock(session: Session) -> None:
    """Start the transaction (BEGIN IMMEDIATE) now, retrying while the database is locked."""
    deadline = time.monotonic() + WRITE_LOCK_WAIT_S
    delay = 0.01
    while True:
        session.begin()
        try:
            session.connection()
            return
        except OperationalError as exc:
            session.rollback()
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 0.5)


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise PilotError(ErrorCode.INTERNAL, "a read-only unit of work tried to write")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # pysqlite starts transactions lazily and as DEFERRED, which lets two writers read the same
    # state and then fail; BEGIN IMMEDIATE takes the write lock up front (serializable writes).
    # `Database.reading` marks read-only work, which needs no write lock (WAL: a consistent snapshot).
    conn.exec_driver_sql(
        "BEGIN" if conn.get_execution_options().get("pilot_read_only") else "BEGIN IMMEDIATE"
    )


# Large JSON values (a long transcript's turns) are encoded and decoded a slice at a time, so the
# other threads of the process get the GIL meanwhile (store/json_columns).
_JSON_CODEC: dict[str, Any] = {"json_serializer": json_columns.dumps, "json_deserializer": json_columns.loads}


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **_JSON_CODEC)
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **_JSON_CODEC)


def _head_revisions() -> set[str]:
    """The head revisions, read from the migration files without importing Alembic (a cold CLI
    command would otherwise spend a second on it to learn there is nothing to do)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revision = re.search(r"^revision\s*=\s*[\"']([^\"']+)", text, re.M)
        down = re.search(r"^down_revision\s*=\s*(.+)$", text, re.M)
        if revision:
            revisions.add(revision.group(1))
        if down:
            parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    return revisions - parents


def _at_head(engine: Engine) -> bool:
    heads = _head_revisions()
    try:
        with engine.connect() as connection:
            stored = {row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except SQLAlchemyError:
        return False
    return bool(heads) and stored == heads


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the latest Alembic revision (nothing to import when it is there)."""
    if _at_head(engine):
        return
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def schema_revisions(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's schema revision, the revision this code needs)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, ScriptDirectory.from_config(_alembic_config()).get_current_head()


def check_schema(engine: Engine) -> None:
    if _at_head(engine):
        return
    current, needed = schema_revisions(engine)
    if current != needed:
        raise PilotError(
            ErrorCode.CONFIGURATION,
            f"the database schema is at revision {current or '(none)'} and this pilot needs {needed}: "
            "run `pilot db upgrade` (once per deploy, before starting servers and workers)",
        )


def open_database(url: str, *, run_migrations: bool | None = None) -> Database:
    """The database, its schema checked. The embedded default (SQLite) migrates itself when opened;
    a server database (PostgreSQL) is migrated by `pilot db upgrade` as a deploy step, and until
    then opening it fails with that advice, so no process runs against a schema it does not know."""
    try:
        engine = make_engine(url)
        if run_migrations if run_migrations is not None else engine.dialect.name == "sqlite":
            migrate(engine)
        else:
            check_schema(engine)
    except SQLAlchemyError as exc:
        raise PilotError(ErrorCode.STORAGE, f"cannot open database: {exc}") from exc
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def upgrade_schema(url: str) -> tuple[str | None, str | None]:
    """Migrate the database at `url` to this code's revision: (revision before, revision after)."""
    try:
        engine = make_engine(url)
        try:
            before, _ = schema_revisions(engine)
            migrate(engine)
            after, _ = schema_revisions(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        raise PilotError(ErrorCode.STORAGE, f"cannot upgrade the database: {exc}") from exc
    return before, after
