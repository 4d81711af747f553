"""`pilot ingest`: files and folders with a JSON report, clear exits for bad input, and a source
that is not configured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli.main import build_app
from pilot.sample import SAMPLE_PROGRAM_ID, sample_program_path, transcripts_dir

from .fakes import use_memory_vectors


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    use_memory_vectors(monkeypatch)
    monkeypatch.setenv("PILOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    result = runner.invoke(build_app(), ["program", "import", str(sample_program_path())])
    assert result.exit_code == 0, result.output
    return runner


def test_ingest_a_folder_with_a_json_report_and_again_unchanged(cli: CliRunner) -> None:
    args = ["ingest", str(transcripts_dir()), "--program", SAMPLE_PROGRAM_ID, "--json"]
    first = cli.invoke(build_app(), args)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["created"] == 10 and report["indexed_documents"] == 10 and report["failures"] == []
    again = json.loads(cli.invoke(build_app(), args).stdout)
    assert again["unchanged"] == 10 and again["indexed_documents"] == 0


def test_a_file_that_cannot_be_read_exits_with_the_user_code(cli: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.vtt"
    empty.write_bytes(b"")
    result = cli.invoke(build_app(), ["ingest", str(empty), "--program", SAMPLE_PROGRAM_ID])
    assert result.exit_code == 2 and "empty" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--meeting-date", "18/11/2026", str(transcripts_dir())], "YYYY-MM-DD"),
        (["--source", "jira", str(transcripts_dir())], "not both"),
        (["--source", "github"], "PILOT_GITHUB_TOKEN"),
        (["/no/such/folder"], "no such file"),
    ],
)
def test_bad_invocations_are_clear_errors(cli: CliRunner, args: list[str], message: str) -> None:
    result = cli.invoke(build_app(), ["ingest", *args, "--program", SAMPLE_PROGRAM_ID])
    assert result.exit_code in (2, 3) and message in result.output, result.output


def test_index_indexes_what_is_pending_and_status_shows_progress(cli: CliRunner, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    ingest = ["ingest", str(transcripts_dir()), "--program", SAMPLE_PROGRAM_ID, "--json"]
    assert cli.invoke(build_app(), ingest).exit_code == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.begin() as connection:  # as an interrupted run (or an upgrade) leaves them
        connection.execute(text("UPDATE documents SET index_state = 'pending' WHERE id IN (1, 2)"))
    engine.dispose()
    status = cli.invoke(build_app(), ["index", "--status", "--json", "-p", SAMPLE_PROGRAM_ID])
    assert json.loads(status.stdout)[SAMPLE_PROGRAM_ID] == {"pending": 2, "indexed": 8, "failed": 0}
    done = cli.invoke(build_app(), ["index", "--json"])
    assert done.exit_code == 0, done.output
    assert [
        r["indexed_documents"] for r in json.loads(done.stdout) if r["program_id"] == SAMPLE_PROGRAM_ID
    ] == [2]
    status = cli.invoke(build_app(), ["index", "--status", "-p", SAMPLE_PROGRAM_ID])
    assert "0 pending, 10 indexed, 0 failed" in status.stdout
