"""Every CLI command builds and prints its help: typer resolves annotations lazily, so a missing
import only shows when a command is invoked. This walks the whole command tree."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from pilot.cli.main import build_app


def command_paths() -> list[list[str]]:
    root = typer.main.get_command(build_app())
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        # typer vendors its own click, so look for sub-commands by shape.
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "pilot")
def test_every_command_prints_help(path: list[str]) -> None:
    result = CliRunner().invoke(build_app(), [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
