"""The terminal at 80 columns: `pilot demo` and `pilot anomalies` print a summary first, findings
grouped by rule family with their full rule ids, and nothing wider than 80 columns; `--all` and
`--json` have the rest; no `--help` shows a type on a flag."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pilot.pipeline.demo as demo
from pilot.cli.main import build_app
from pilot.rules.detectors import DETECTORS
from pilot.rules.signals import SIGNAL_DETECTORS
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from tests.cli.test_help import command_paths

RULES = {r for spec in [*DETECTORS.values(), *SIGNAL_DETECTORS.values()] for r in spec.rule_ids}
FINDING = re.compile(r"^  [EWi] #\d+\s+(\S+)")
NOW = ["--now", SAMPLE_NOW.isoformat()]


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "pilot")
def test_no_help_shows_a_type_on_a_flag(path: list[str]) -> None:
    result = CliRunner().invoke(build_app(), [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0 and "<bool>" not in result.output
    assert "--help" in result.output


def test_value_options_still_show_their_type() -> None:
    output = CliRunner().invoke(build_app(), ["anomalies", "--help"], env={"COLUMNS": "100"}).output
    assert re.search(r"--program\s+-p\s+<str>", output) and re.search(r"--json\s+Print", output)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("PILOT_DATA_DIR", str(tmp_path / "term"))
    runner = CliRunner()
    assert runner.invoke(build_app(), ["program", "import", str(sample_program_path())]).exit_code == 0
    return runner


def lines_of(output: str) -> list[str]:
    return output.splitlines()


def test_anomalies_fit_80_columns_with_a_summary_first_and_full_rule_ids(cli: CliRunner) -> None:
    result = cli.invoke(build_app(), ["anomalies", "-p", SAMPLE_PROGRAM_ID, *NOW])
    assert result.exit_code == 0, result.output
    lines = lines_of(result.stdout)
    assert max(len(line) for line in lines) <= 80 and len(lines) < 120
    assert re.match(r"as of 2026-11-20 17:00 ", lines[0])
    assert re.match(r"payments-migration: \d+ findings \(\d+ errors, \d+ warnings, \d+ info\)", lines[1])
    listed = [m.group(1) for line in lines if (m := FINDING.match(line))]
    assert listed and set(listed) <= RULES  # every rule id printed whole
    families = [line.split()[0] for line in lines if re.match(r"^[a-z]+ \(\d+\)$", line)]
    assert families[0] == "raid" and {"milestone", "dependency", "schedule"} <= set(families)
    assert len(families) == len(set(families))
    assert "KPIs needing attention" in result.stdout and "62%" not in result.stdout.split("KPIs")[0][:0]
    assert "... " in result.stdout and "pilot anomalies --all" in result.stdout


def test_all_lists_every_finding_in_full_and_json_is_complete(cli: CliRunner) -> None:
    short = cli.invoke(build_app(), ["anomalies", "-p", SAMPLE_PROGRAM_ID, *NOW])
    full = cli.invoke(build_app(), ["anomalies", "-p", SAMPLE_PROGRAM_ID, "--all", "--no-scan", *NOW])
    body = json.loads(
        cli.invoke(build_app(), ["anomalies", "-p", SAMPLE_PROGRAM_ID, "--json", "--no-scan", *NOW]).stdout
    )
    ids_full = {int(m.group(0)[1:]) for m in re.finditer(r"#\d+", full.stdout)}
    ids_short = {int(m.group(0)[1:]) for m in re.finditer(r"#\d+", short.stdout)}
    assert ids_full == {f["id"] for f in body["findings"]} and ids_short < ids_full
    assert max(len(line) for line in lines_of(full.stdout)) <= 80
    info = [f for f in body["findings"] if f["finding"]["severity"] == "info"]
    assert info and all(f"#{f['id']} " in full.stdout for f in info)
    assert "Next: " in full.stdout and "on target or without data" not in full.stdout


def test_demo_prints_a_short_80_column_report(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    real = demo.run_demo
    monkeypatch.setattr(demo, "run_demo", lambda ctx: real(ctx, ingest=False))  # no embedding model here
    result = cli.invoke(build_app(), ["demo", "--no-serve"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = lines_of(result.stdout)
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    assert len(lines) < 140
    assert any(line.startswith("Payments platform migration: ") for line in lines)
    assert "delivery.ci_red" in result.stdout and "Admin token" in result.stdout
