"""Artifact drafts from the sample program: each passes its grounding checks; every perturbation
of a record's date, number or person, a verdict flipped and a record invented is caught; drafts
replace their pending predecessor; exports; the CLI, the API and the pages."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pilot.api.app import create_app
from pilot.chains.artifacts import render_artifact, to_html
from pilot.cli.main import build_app
from pilot.connectors.program_file import parse_program_yaml
from pilot.domain.artifacts import ARTIFACT_KINDS, ArtifactDraft
from pilot.domain.auth import Role
from pilot.domain.drafts import DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.access import issue_token
from pilot.pipeline.artifacts import create_artifact_draft, export_artifact, list_artifacts
from pilot.pipeline.context import Pilot, fixed_clock
from pilot.pipeline.programs import import_program_file
from pilot.pipeline.review import edit, get_draft
from pilot.rules.artifact_grounding import check_artifact
from pilot.rules.artifacts import build_artifact_sheet
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from tests.rules.builders import at, milestone, program

P = SAMPLE_PROGRAM_ID
DATA = parse_program_yaml(sample_program_path().read_bytes())
NAMES = [p.name for p in DATA.people]
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_RECORD = re.compile(r"\b[A-Z]{1,4}-\d{1,5}\b")


def artifact(kind: str) -> ArtifactDraft:
    return render_artifact(build_artifact_sheet(DATA, SAMPLE_NOW, kind))  # type: ignore[arg-type]


def rules(draft: ArtifactDraft, body: str) -> set[str]:
    return {f.rule_id for f in check_artifact(draft.model_copy(update={"body": body}), NAMES)}


@pytest.mark.parametrize("kind", ARTIFACT_KINDS)
def test_each_artifact_of_the_sample_is_grounded(kind: str) -> None:
    draft = artifact(kind)
    assert check_artifact(draft, NAMES) == []
    assert len(draft.body.splitlines()) > 10 and draft.body.startswith("# ")


def record_lines(body: str) -> list[int]:
    return [i for i, line in enumerate(body.splitlines()) if _RECORD.search(line)]


@pytest.mark.parametrize("kind", ARTIFACT_KINDS)
def test_every_shifted_date_on_a_record_line_is_caught(kind: str) -> None:
    draft = artifact(kind)
    lines = draft.body.splitlines()
    tried = 0
    for number in record_lines(draft.body):
        for found in _ISO.finditer(lines[number]):
            shifted = (date.fromisoformat(found.group(0)) + timedelta(days=3)).isoformat()
            changed = lines[number][: found.start()] + shifted + lines[number][found.end() :]
            body = "\n".join([*lines[:number], changed, *lines[number + 1 :]])
            assert "artifact.ungrounded_date" in rules(draft, body), (kind, changed)
            tried += 1
    assert tried >= 10


@pytest.mark.parametrize("kind", ARTIFACT_KINDS)
def test_every_wrong_number_and_unknown_person_on_a_record_line_is_caught(kind: str) -> None:
    draft = artifact(kind)
    lines = draft.body.splitlines()
    numbers = people = 0
    for number in record_lines(draft.body):
        line = lines[number]
        for found in re.finditer(r"(exposure |\(|\| )(\d+)( days| of |, | \|)", line):
            wrong = f"{found.group(1)}{int(found.group(2)) + 1}{found.group(3)}"
            body = draft.body.replace(line, line.replace(found.group(0), wrong, 1))
            assert "artifact.ungrounded_number" in rules(draft, body), (kind, wrong, line)
            numbers += 1
        for name in NAMES:
            if name in line:
                body = draft.body.replace(line, line.replace(name, "Jane Doe", 1))
                assert "artifact.unknown_name" in rules(draft, body), (kind, line)
                people += 1
    assert people >= 5 and numbers >= (1 if kind == "cutover" else 3)


def test_a_flipped_verdict_and_an_invented_record_are_caught() -> None:
    readiness = artifact("readiness")
    assert "**NO-GO as of 2026-11-20**" in readiness.body
    assert "artifact.verdict_contradiction" in rules(
        readiness, readiness.body.replace("**NO-GO as of", "**GO as of")
    )
    charter = artifact("charter")
    assert "artifact.unknown_record" in rules(
        charter, charter.body + "\n- M-17 Launch on the moon: target 2026-12-01\n"
    )
    moved = charter.body.replace("Milestones (14, 7 done)", "Milestones (14, 8 done)")
    assert "artifact.ungrounded_number" in rules(charter, moved)


def test_the_readiness_checklist_and_its_go_no_go_criteria() -> None:
    body = artifact("readiness").body
    assert "## Checklist (5 of 14 done, 36%; target 95% by the gate)" in body
    assert (
        body.count("| RD-") == 14
        and "| RD-07 Dashboards and paging alerts for the new path live | Elena Petrova" in body
    )
    assert "- [ ] Go/no-go checklist 100% complete at the gate on 2026-12-01" in body  # acceptance criterion
    assert "pending DEC-07 (decider Robert Hayes, needed by 2026-11-24)" in body
    assert "- [x] No Sev1 or Sev2 incident attributed to this release" in body


def test_the_cutover_plan_has_a_timeline_and_a_rollback_section() -> None:
    body = artifact("cutover").body
    timeline = body.split("## Timeline")[1].split("##")[0]
    assert "M-10 Code freeze" in timeline and "2026-12-01: go/no-go gate" in timeline
    rollback = body.split("## Rollback")[1]
    for record in ("DEC-06", "R-013", "RD-02", "AI-06", "DEP-14"):
        assert record in rollback
    assert "Automatic rollback at a 0.05 point error delta" in rollback


def test_a_release_without_rollback_records_says_so() -> None:
    data = program(
        milestones=[milestone("M-1", date(2026, 12, 10), owner="ana", critical_path=True)],
        readiness=[
            {
                "id": "RD-1",
                "release": "M-1",
                "item": "Runbook signed off",
                "owner": "ana",
                "gate_date": date(2026, 12, 8),
            }
        ],
        action_items=[
            {
                "id": "AI-1",
                "task": "Book the war room",
                "owner": "bob",
                "milestone": "M-1",
                "due": date(2026, 12, 1),
                "created_at": at("2026-11-10 09:00"),
            }
        ],
    )
    draft = render_artifact(build_artifact_sheet(data, SAMPLE_NOW, "cutover"))
    assert "No rollback trigger, plan or rehearsal of record" in draft.body
    assert check_artifact(draft, ["Ana Lima", "Robert Hayes"]) == []
    readiness = render_artifact(build_artifact_sheet(data, SAMPLE_NOW, "readiness"))
    assert readiness.sheet.verdict == "NO-GO" and readiness.sheet.reasons == [
        "1 of 1 readiness items are not done"
    ]


def test_the_html_export_escapes_what_the_records_say() -> None:
    data = program(
        raid=[
            {
                "id": "R-1",
                "kind": "R",
                "title": "Vendor <script>alert(1)</script> & co",
                "owner": "ana",
                "probability": 3,
                "impact": 4,
                "opened_at": at("2026-11-01 09:00"),
            }
        ]
    )
    draft = render_artifact(build_artifact_sheet(data, SAMPLE_NOW, "raid"))
    page = to_html(draft)
    assert "<script>" not in page and "&lt;script&gt;" in page and "<table" in page and "<td" in page
    assert check_artifact(draft, ["Ana Lima"]) == []


@pytest.fixture
def sample(pilot_ctx: Pilot) -> Pilot:
    pilot_ctx.clock = fixed_clock(SAMPLE_NOW)
    import_program_file(pilot_ctx, sample_program_path())
    return pilot_ctx


def test_drafts_go_to_the_queue_replace_their_pending_predecessor_and_edits_are_rechecked(
    sample: Pilot,
) -> None:
    first = create_artifact_draft(sample, P, "readiness")
    assert first.draft.findings == [] and first.draft.status == DraftStatus.PENDING
    assert first.artifact.sheet.release is not None and first.artifact.sheet.release.id == "M-11"
    create_artifact_draft(sample, P, "charter")
    second = create_artifact_draft(sample, P, "readiness", release="M-11")
    assert second.replaced == [first.draft.id]
    assert get_draft(sample, P, first.draft.id).status == DraftStatus.REJECTED
    pending = sorted(a.kind for d, a in list_artifacts(sample, P) if d.status == DraftStatus.PENDING)
    assert pending == ["charter", "readiness"]
    body = second.artifact.body.replace("owner Priya Raman", "owner Jane Doe")
    forged = second.artifact.sheet.model_copy(update={"people": {"jane": "Jane Doe"}}).model_dump(mode="json")
    edited = edit(sample, P, second.draft.id, {**second.draft.payload, "body": body, "sheet": forged})
    assert {f.rule_id for f in edited.findings} == {"artifact.unknown_name"}  # the sheet stayed the record's
    assert export_artifact(sample, P, second.draft.id, "md") == body
    with pytest.raises(PilotError) as raised:
        create_artifact_draft(sample, P, "cutover", release="M-99")
    assert raised.value.code == ErrorCode.NOT_FOUND


def test_cli_artifact(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PILOT_DATA_DIR", str(tmp_path / "cli"))
    runner = CliRunner()
    assert runner.invoke(build_app(), ["program", "import", str(sample_program_path())]).exit_code == 0
    now = ["--now", SAMPLE_NOW.isoformat()]
    html = runner.invoke(build_app(), ["artifact", "raid", "-p", P, "--format", "html", *now])
    assert html.exit_code == 0 and html.stdout.startswith("<div") and "R-001" in html.stdout
    assert "is in the review queue (0 findings" in html.stderr
    body = json.loads(runner.invoke(build_app(), ["artifact", "cutover", "-p", P, "--json", *now]).stdout)
    assert body["artifact"]["kind"] == "cutover" and body["draft"]["findings"] == []
    bad = runner.invoke(build_app(), ["artifact", "memo", "-p", P])
    assert bad.exit_code == 2


def test_api_and_pages(sample: Pilot) -> None:
    tokens = {
        r: issue_token(sample, user_id=r.value, role=r, program_id=P) for r in (Role.VIEWER, Role.EDITOR)
    }
    with TestClient(create_app(context=sample), follow_redirects=False) as client:

        def auth(role: Role) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[role]}"}

        created = client.post(f"/programs/{P}/artifacts", json={"kind": "charter"}, headers=auth(Role.EDITOR))
        assert created.status_code == 201 and created.json()["draft"]["findings"] == []
        draft_id = created.json()["draft"]["id"]
        assert (
            client.post(
                f"/programs/{P}/artifacts", json={"kind": "charter"}, headers=auth(Role.VIEWER)
            ).status_code
            == 403
        )
        listed = client.get(f"/programs/{P}/artifacts", headers=auth(Role.VIEWER)).json()
        assert [a["kind"] for a in listed] == ["charter"] and listed[0]["errors"] == 0
        exported = client.get(
            f"/programs/{P}/artifacts/{draft_id}/export?format=html", headers=auth(Role.VIEWER)
        )
        assert (
            exported.headers["content-type"].startswith("text/html")
            and "attachment" in exported.headers["content-disposition"]
        )
        client.post("/login", data={"token": tokens[Role.VIEWER], "next": "/"})
        page = client.get(f"/p/{P}/artifacts/{draft_id}")
        assert page.status_code == 200 and "Every record, date, number and name is grounded" in page.text
        assert "Program charter" in client.get(f"/p/{P}/artifacts").text
        assert f"/p/{P}/artifacts" in client.get(f"/p/{P}/status").text
