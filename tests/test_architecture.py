"""The layer rules ([tool.importlinter] in pyproject.toml) hold, and the check catches a breach."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def copy_of_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    shutil.copytree(ROOT / "src" / "pilot", tree / "src" / "pilot",
                    ignore=shutil.ignore_patterns("__pycache__", "*.npz"))  # fmt: skip
    return tree


def test_the_layer_contracts_hold() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("domain/jobs.py", "from pilot.store import db as _db", "domain imports nothing of pilot"),
        ("rules/quality.py", "from pilot.settings import get_settings as _s", "rules are pure"),
        ("chains/status.py", "from pilot.store import drafts as _drafts", "chains do no I/O of record"),
        ("index/terms.py", "from pilot.store import documents as _documents", "index does no I/O of record"),
        ("api/routes/owe.py", "from pilot.store import audit as _audit", "shells (api, web, cli)"),
        ("web/labels.py", "from pilot.rules import calendar as _calendar", "shells (api, web, cli)"),
        ("cli/common.py", "from pilot.chains import prompts as _prompts", "shells (api, web, cli)"),
        ("evals/qmsum.py", "from pilot.index import chunking as _chunking", "evals import pipeline"),
        ("store/db.py", "from pilot.pipeline import context as _context", "layers import downwards"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    copy_of_tree: Path, module: str, forbidden: str, contract: str
) -> None:
    path = copy_of_tree / "src" / "pilot" / module
    original = path.read_text()
    try:
        path.write_text(original + f"\n{forbidden}  # noqa\n")
        result = _lint(copy_of_tree)
    finally:
        path.write_text(original)
    assert result.returncode != 0, result.stdout[-2000:]
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, broken[:2000]


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    """Everything else is handed a clock (`Pilot.now`, a `now` argument): tests and the demo fix it."""
    reads = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time)\(")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "src" / "pilot").rglob("*.py"))
        if path.name != "clock.py" or path.parent.name != "pilot"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if reads.search(line)
    ]
    assert not found, found
