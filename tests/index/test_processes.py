"""The index under concurrent readers and writers: threads of one process, and other processes
(`pilot ingest` beside a running server, two servers on one embedded data directory)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pilot.domain.documents import Document, DocumentKind
from pilot.domain.program import ProgramData, ProgramInfo
from pilot.index.chroma_store import ChromaVectors
from pilot.pipeline.context import Pilot, open_pilot
from pilot.pipeline.ingest import ingest_documents
from pilot.pipeline.programs import save_program_data
from pilot.pipeline.search import search_program, use_embedder
from pilot.settings import Settings

from .fakes import hashing_embedder
from .index_process import PROGRAM, reachable, write_vectors

REPO = Path(__file__).resolve().parents[2]


class IndexProcess:
    """Another pilot process on the same data directory and database."""

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.index.index_process", str(data_dir), database_url],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self._answer() == "ready"

    def _answer(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the other process died (exit {self.process.poll()})"
        return json.loads(line)

    def ask(self, command: str) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def ticket(key: str, text: str) -> Document:
    return Document(program_id=PROGRAM, source="jira", external_id=key, kind=DocumentKind.TICKET, title=key,
                    text=f"{key}: {text}", updated_at=datetime(2026, 11, 2, tzinfo=UTC))  # fmt: skip


@pytest.fixture
def pilot(database_url: str, tmp_path: Path) -> Iterator[Pilot]:
    ctx = open_pilot(Settings(data_dir=tmp_path / "data", database_url=database_url))
    save_program_data(ctx, ProgramData(program=ProgramInfo(id=PROGRAM, name="P")), source="test")
    use_embedder(ctx, hashing_embedder)
    yield ctx
    ctx.close()


def test_searching_while_a_thread_indexes_never_fails(pilot: Pilot) -> None:
    ingest_documents(pilot, PROGRAM, [ticket("PAY-0", "settlement batch cutover")], source="jira")
    errors: list[BaseException] = []

    def index_more() -> None:
        try:
            for n in range(1, 25):
                ingest_documents(
                    pilot, PROGRAM, [ticket(f"PAY-{n}", f"settlement batch {n} moved")], source="jira"
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    writer = threading.Thread(target=index_more)
    writer.start()
    while writer.is_alive():
        assert search_program(pilot, PROGRAM, "settlement batch", k=10)
    writer.join()
    assert errors == []
    assert len(search_program(pilot, PROGRAM, "settlement batch", k=50)) == 25


def test_a_running_process_finds_what_another_process_ingested(pilot: Pilot, database_url: str) -> None:
    ingest_documents(pilot, PROGRAM, [ticket("PAY-1", "settlement batch cutover")], source="jira")
    server = IndexProcess(pilot.settings.data_dir, database_url)
    try:
        assert [hit[0] for hit in server.ask("search settlement")] == ["jira:PAY-1"]  # the server is warm
        ingest_documents(pilot, PROGRAM, [ticket("PAY-2", "hardware vault firmware upgrade")], source="jira")
        found = server.ask("search vault firmware")
        assert found and found[0][0] == "jira:PAY-2" and found[0][1] == 1 and found[0][2] == 1  # both arms
        ingest_documents(
            pilot, PROGRAM, [ticket("PAY-2", "lunch plans")], source="jira"
        )  # changed: words gone
        assert all(hit[0] != "jira:PAY-2" or hit[1] is None for hit in server.ask("search vault firmware"))
    finally:
        server.close()


def test_two_processes_writing_one_embedded_index_lose_nothing(tmp_path: Path, database_url: str) -> None:
    data_dir = tmp_path / "data"
    store = ChromaVectors(path=data_dir / "chroma")
    write_vectors(store, 10, seed=1)
    server = IndexProcess(data_dir, database_url)  # a second process with the index open
    try:
        assert server.ask("count") == 10
        write_vectors(store, 1500, seed=2)  # this process writes...
        assert server.ask("vectors 1500 3") == "ok"  # ...then the other, which had not seen it
        assert server.ask("count") == 3010
    finally:
        server.close()
    checker = IndexProcess(data_dir, database_url)  # a fresh process reads what is on disk
    try:
        assert checker.ask("count") == 3010
    finally:
        checker.close()
    assert reachable(store) == 3010
