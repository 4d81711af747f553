"""`pilot ask` from the terminal: --as-of (a date) and --now (a timestamp) set the date answered for;
without them the program's own as-of date holds; records and documents are printed apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli.main import build_app
from pilot.pipeline.context import open_pilot
from pilot.pipeline.programs import import_program_bytes
from pilot.settings import Settings
from tests.ask.harbor_program import HARBOR


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PILOT_DATA_DIR", str(tmp_path))
    for name in ("PILOT_DATABASE_URL", "PILOT_CHROMA_URL", "PILOT_LLM_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    pilot = open_pilot(Settings(data_dir=tmp_path))
    import_program_bytes(pilot, HARBOR.encode(), source="harbor.yaml")
    pilot.close()
    return tmp_path


def run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(build_app("ask"), ["ask", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_as_of_now_and_the_programs_own_date(data_dir: Path) -> None:
    question = ["Which decisions are overdue?", "-p", "harbor"]
    own = run(*question)  # the program file says as_of: 2027-03-10
    assert own["as_of"] == "2027-03-10" and [r["record_ref"] for r in own["rows"]] == ["decision:HDEC-2"]  # type: ignore[index]
    later = run(*question, "--as-of", "2027-03-20")
    assert later["as_of"] == "2027-03-20"
    assert [r["record_ref"] for r in later["rows"]] == ["decision:HDEC-2", "decision:HDEC-3"]  # type: ignore[index]
    earlier = run(*question, "--now", "2027-03-01T09:00:00+00:00")
    assert earlier["as_of"] == "2027-03-01" and earlier["rows"] == [] and "none" in str(earlier["text"])


def test_the_terminal_answer_says_where_each_part_came_from(data_dir: Path) -> None:
    result = CliRunner().invoke(build_app("ask"), ["ask", "What does Chris owe?", "-p", "harbor"])
    assert result.exit_code == 0, result.output
    assert "could mean Christine Obi or Christopher Berg" in result.output
    assert "From the program records:" in result.output and "[Christine Obi] HM-4" in result.output
