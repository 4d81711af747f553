"""Shared test set-up: no network, isolated settings, and databases on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_REAL_CONNECT = socket.socket.connect
_LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    # Unix sockets and loopback (PostgreSQL, Redis, a test server) are fine; anything else is a
    # network call a test forgot to mock.
    if isinstance(address, tuple) and address and str(address[0]) not in _LOCAL_HOSTS:
        raise RuntimeError(f"network access in tests is not allowed: {address!r}")
    return _REAL_CONNECT(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def _model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the session, as one per machine in use: the ONNX export of the embedding
    model runs once, not in every test that embeds (it takes seconds and holds the GIL, stalling
    the servers the timing tests watch). tests/index/test_onnx_embedding.py exports into its own."""
    return tmp_path_factory.mktemp("pilot-cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, _model_cache: Path) -> None:
    for key in list(os.environ):
        if key.startswith("PILOT_") and key != "PILOT_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    for key in ("OPENAI_API_KEY", "LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PILOT_DATA_DIR", str(tmp_path / "pilot-data"))
    monkeypatch.setenv("PILOT_CACHE_DIR", str(_model_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _postgres_url() -> str | None:
    return os.environ.get("PILOT_TEST_DATABASE_URL") or None


DB_BACKENDS = ["sqlite"] + (["postgresql"] if _postgres_url() else [])


@pytest.fixture(params=DB_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    from sqlalchemy import create_engine, text

    base = _postgres_url()
    assert base is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    from pilot.store.db import upgrade_schema

    upgrade_schema(url)  # `pilot db upgrade`: a PostgreSQL database is migrated as a deploy step
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pilot_ctx(database_url: str, tmp_path: Path) -> Iterator[Any]:
    from pilot.pipeline.context import open_pilot
    from pilot.settings import Settings

    settings = Settings(data_dir=tmp_path / "pilot-data", database_url=database_url)
    ctx = open_pilot(settings, actor="tester")
    try:
        yield ctx
    finally:
        ctx.close()


_EXIT_STATUS: list[int] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End the process with the session's status once pytest is done. Native thread pools (ONNX
    Runtime, chromadb) still alive at interpreter teardown abort it ("terminate called without an
    active exception", SIGABRT) after every test has passed, which would turn a green run red."""
    import sys

    if not _EXIT_STATUS or os.environ.get("PILOT_TEST_NORMAL_EXIT"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_STATUS[-1])
