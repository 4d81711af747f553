"""Every `pilot ...` command the README shows runs as written.

The README's command blocks are parsed: `[...]` is optional (each line runs without its options
and with all of them), `a|b` are alternatives (each runs), and the few placeholders (a draft id,
a finding id, a job id, files of your own) become the sample's. The commands run in order in one
temporary data directory after `pilot demo --no-serve`, network-free. A command passes when it
exits 0, or with pilot's own error (never a usage error, never exit 1 = a pilot bug) where the
README's example cannot fit the sample (a connector that is not configured here).
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli.main import build_app
from pilot.sample import sample_dir

README = Path(__file__).resolve().parents[1] / "README.md"
# Long-running or data-bound commands: skipped, each with its reason.
SKIPPED = {
    "serve": "serves until stopped (tests/api and tests/browser run the app)",
    "worker": "runs jobs until stopped (tests/jobs run the worker loop)",
    "eval": "needs ../shared/evaldata and minutes per suite (evals/run_all.py runs them)",
}
# Commands that reach an outside service: without its settings they must stop with exit 3
# (configuration) and say what to set; none of them may touch the network here.
NEEDS_SERVICE = {("push",), ("notify",), ("delivery", "sync"), ("ingest", "--source")}
# Commands whose README example cannot fit the walk: each may refuse with pilot's own error.
REFUSALS = {("job", "retry"): "only failed jobs are retried; every job of the walk succeeded"}
USAGE_ERROR = re.compile(
    r"No such option|Missing (option|argument)|Invalid value|Got unexpected extra|Usage:"
)


def readme_commands(text: str) -> list[str]:
    """The `pilot` command lines of the README's bash blocks, comments and prompt removed."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.strip()
            if not line.startswith((".venv/bin/pilot ", "pilot ")):
                continue
            line = re.split(r"\s{2,}#|\s#\s", line)[0].strip()
            commands.append(line.removeprefix(".venv/bin/").removeprefix("pilot ").strip())
    return commands


def variants(command: str) -> list[list[str]]:
    """Without the optional groups, and with all of them; each alternative of `a|b` separately."""
    command = re.sub(r"\s*>\s*\S+$", "", command)  # a shell redirect is not part of the command
    bare = re.sub(r"\s*\[[^\]]*\]", "", command)
    full = re.sub(r"\[([^\]]*)\]", r"\1", command)
    out: list[list[str]] = []
    for form in dict.fromkeys([bare, full]):
        tokens = shlex.split(form)
        choices = [t.split("|") if "|" in t and not t.startswith("-") else [t] for t in tokens]
        for picked in itertools.product(*choices):
            if list(picked) not in out:
                out.append(list(picked))
    return out


def test_the_parser_reads_the_readme() -> None:
    commands = readme_commands(README.read_text())
    assert len(commands) >= 30
    assert any(c.startswith("ask ") for c in commands) and any(c.startswith("eval ") for c in commands)
    expanded = [v for c in commands for v in variants(c)]
    assert ["artifact", "raid", "--program", "payments-migration"] in expanded
    assert [
        "status",
        "--program",
        "payments-migration",
        "--audience",
        "exec",
        "--format",
        "slack",
        "--json",
    ] in expanded


class Walk:
    def __init__(self, tmp: Path) -> None:
        self.runner = CliRunner()
        self.tmp = tmp
        self.files = {
            "path/to/program.yaml": str(sample_dir() / "program.yaml"),
            "meeting.vtt": str(sample_dir() / "transcripts" / "2026-11-16-cutover-sync.vtt"),
            "notes/": str(sample_dir() / "transcripts"),
            "exports/jira.csv": str(sample_dir() / "tickets" / "jira_export.csv"),
            "saved-answers/": str(sample_dir() / "delivery"),
        }
        self.ids: dict[str, str] = {}

    def run(self, args: list[str]) -> tuple[int, str]:
        result = self.runner.invoke(build_app(), args, env={"COLUMNS": "120"})
        return result.exit_code, result.output

    def json_of(self, args: list[str]) -> object:
        code, output = self.run(args)
        assert code == 0, output
        return json.loads(output)

    def pending_action_item(self, exclude: set[str]) -> str:
        groups = self.json_of(["review", "list", "--program", "payments-migration", "--json"])
        assert isinstance(groups, list)  # the queue by meeting: each group holds its drafts
        drafts = [d for g in groups for d in g["drafts"]]
        items = [str(d["id"]) for d in drafts if d["kind"] == "action_item" and str(d["id"]) not in exclude]
        assert items, "the demo leaves action items in the review queue"
        return items[0]

    def placeholders(self, args: list[str]) -> list[str]:
        out = [self.files.get(a, a) for a in args]
        if "3f2a91c0" in out:  # a draft id: approve and push one action item; settle another's owner
            role = "owner" if out[:2] == ["review", "owner"] else "item"
            if role not in self.ids or out[:2] == ["review", "approve"]:  # each approval a fresh draft
                self.ids[role] = self.pending_action_item(exclude=set(self.ids.values()))
            out = [self.ids[role] if a == "3f2a91c0" else a for a in out]
        if out[:2] == ["token", "revoke"]:  # the README's example id: the newest token (ana's, made above)
            listed = self.json_of(["token", "list", "--json"])
            assert isinstance(listed, list) and listed, "the README creates a token before it revokes one"
            out[2] = str(max(int(t["id"]) for t in listed))
        if out[:2] == ["finding", "resolve"]:
            report = self.json_of(["anomalies", "--program", "payments-migration", "--json"])
            assert isinstance(report, dict)
            out[2] = str(report["findings"][0]["id"])
        if "<job-id>" in out:
            code, output = self.run(
                ["extract", self.files["meeting.vtt"], "-p", "payments-migration", "--json"]
            )
            assert code == 0, output
            out = [str(json.loads(output).get("job_id") or json.loads(output).get("job", {}).get("id")) if a == "<job-id>" else a for a in out]  # fmt: skip
        return out


@pytest.mark.slow
def test_every_readme_command_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_EMBEDDING_BACKEND", "torch")  # the bundled model; no ONNX export here
    monkeypatch.chdir(tmp_path)
    walk = Walk(tmp_path)
    code, output = walk.run(["demo", "--no-serve"])
    assert code == 0, output
    problems, ran = [], 0
    for command in readme_commands(README.read_text()):
        for args in variants(command):
            if args[0] in SKIPPED:
                continue
            args = walk.placeholders(args)
            code, output = walk.run(args)
            ran += 1
            service = any(
                tuple(args[: len(k)]) == k or (k[0] == args[0] and k[-1] in args) for k in NEEDS_SERVICE
            )
            refused = tuple(args[:2]) in REFUSALS and code == 2 and output.startswith("error (")
            if (
                USAGE_ERROR.search(output)
                or code == 1
                or (code != 0 and not service and not refused)
                or (service and code not in (0, 3))
            ):
                problems.append(f"pilot {shlex.join(args)} -> exit {code}: {output.strip()[-300:]}")  # fmt: skip
    assert ran >= 40
    assert not problems, "\n".join(problems)
