"""evals/run_all.py passes each `pilot eval` suite only the options that suite declares."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import typer

from pilot.cli.main import build_app

SCRIPT = Path(__file__).resolve().parents[1] / "evals" / "run_all.py"


def _run_all():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("run_all", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _params_of(suite: str) -> list[typer.core.click.Parameter]:
    group = typer.main.get_command(build_app())
    return list(group.commands["eval"].commands[suite].params)  # type: ignore[attr-defined]


def _options_of(suite: str) -> set[str]:
    return {name for param in _params_of(suite) for name in param.opts}


@pytest.mark.parametrize("suite", ["extraction", "retrieval", "qa", "grounding"])
def test_each_suite_gets_only_the_options_it_declares(suite: str) -> None:
    run_all = _run_all()
    command = run_all.suite_command(Path("pilot"), suite, "data", run_all.SUITES[suite])
    assert command[1:3] == ["eval", suite]
    passed = {arg for arg in command[3:] if arg.startswith("--")}
    assert passed <= _options_of(suite), passed - _options_of(suite)
    if run_all.SUITES[suite] is not None:  # the data suites name the split they are reported on
        assert "--data-dir" in passed and "--split" in passed
        split_help = next(getattr(p, "help", "") or "" for p in _params_of(suite) if "--split" in p.opts)
        assert run_all.SUITES[suite] in split_help  # a split the suite has ("dev" is ELITR's, not QMSum's)


def test_a_split_is_set_per_suite() -> None:
    run_all = _run_all()
    assert run_all._splits(["qa=test2"])["qa"] == "test2"
    assert run_all._splits([])["extraction"] == "val"
    with pytest.raises(SystemExit):
        run_all._splits(["grounding=dev"])
