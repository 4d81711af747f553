"""Program file import/export: validation with paths and lines, all-or-nothing, idempotent."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import func, select

from pilot.connectors.program_file import dump_program_yaml, parse_program_yaml
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.programs import export_program, get_program, import_program_bytes
from pilot.store.audit import verify_chain
from pilot.store.tables import RECORD_TABLES, AuditEventRow, ProgramRow
from tests.store.program_factory import SMALL_PROGRAM


def _counts(ctx: Any) -> dict[str, int]:
    with ctx.db.transaction() as session:
        out = {
            name: session.scalar(select(func.count()).select_from(t)) or 0
            for name, t in RECORD_TABLES.items()
        }
        out["programs"] = session.scalar(select(func.count()).select_from(ProgramRow)) or 0
        out["audit"] = session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
        return out


def test_import_then_reimport_is_idempotent(pilot_ctx: Any) -> None:
    first = import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    assert first.created["people"] == 2 and first.created["milestones"] == 1
    counts = _counts(pilot_ctx)
    second = import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    assert not second.changed
    assert _counts(pilot_ctx) == counts  # no duplicates, and no audit event for a no-op

    edited = SMALL_PROGRAM.replace("title: Vendor SDK late", "title: Vendor SDK very late")
    third = import_program_bytes(pilot_ctx, edited.encode(), source="small.yaml")
    assert third.updated["raid"] == 1 and third.created["raid"] == 0
    assert get_program(pilot_ctx, "checkout-v2").raid[0].title == "Vendor SDK very late"


def test_export_round_trips(pilot_ctx: Any) -> None:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    exported = export_program(pilot_ctx, "checkout-v2")
    assert parse_program_yaml(exported.encode()) == parse_program_yaml(SMALL_PROGRAM.encode())
    assert get_program(pilot_ctx, "checkout-v2") == parse_program_yaml(exported.encode())
    assert dump_program_yaml(parse_program_yaml(exported.encode())) == exported


def test_prune_removes_records_absent_from_file(pilot_ctx: Any) -> None:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    without_action = SMALL_PROGRAM.split("action_items:")[0]
    kept = import_program_bytes(pilot_ctx, without_action.encode(), source="small.yaml")
    assert kept.deleted["action_items"] == 0
    pruned = import_program_bytes(pilot_ctx, without_action.encode(), source="small.yaml", prune=True)
    assert pruned.deleted["action_items"] == 1
    assert get_program(pilot_ctx, "checkout-v2").action_items == []


def _bad_inputs() -> list[tuple[str, bytes, str, int | None]]:
    # (case, file bytes, expected text in a problem, expected line)
    dangling = SMALL_PROGRAM.replace("owner: ben, probability", "owner: bob, probability")
    bad_date = SMALL_PROGRAM.replace("due: 2026-10-30", "due: 2026-02-30")
    dup = SMALL_PROGRAM.replace("- {id: ben, name: Ben", "- {id: ana, name: Ben")
    wrong_type = SMALL_PROGRAM.replace("tier: 2", "tier: high")
    line_of = lambda text, needle: text[: text.index(needle)].count("\n") + 1  # noqa: E731
    return [
        ("dangling reference", dangling.encode(), "unknown person 'bob'", line_of(dangling, "owner: bob")),
        ("bad date", bad_date.encode(), "date", line_of(bad_date, "2026-02-30")),
        ("duplicate id", dup.encode(), "duplicate id 'ana'", line_of(dup, "- {id: ana, name: Ben")),
        ("wrong type", wrong_type.encode(), "tier", line_of(wrong_type, "tier: high")),
        (
            "non-utf8",
            SMALL_PROGRAM.replace("Ana Lima", "Ana L\xedma").encode("latin-1"),
            "UTF-8",
            line_of(SMALL_PROGRAM, "Ana Lima"),
        ),
        ("garbage 10MB", os.urandom(10 * 1024 * 1024), "", None),
        ("printable garbage", (b"}{][:,-?!" * 1_200_000), "", None),
        ("empty", b"  \n", "empty", None),
        ("top-level list", b"- a\n- b\n", "mapping", 1),
        ("yaml syntax", b"program:\n  id: [unclosed\n", "YAML syntax", None),
    ]


@pytest.mark.parametrize(("case", "raw", "needle", "line"), _bad_inputs(), ids=[c[0] for c in _bad_inputs()])
def test_bad_program_files_fail_clearly_and_change_nothing(
    pilot_ctx: Any, case: str, raw: bytes, needle: str, line: int | None
) -> None:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    before = _counts(pilot_ctx)
    snapshot = get_program(pilot_ctx, "checkout-v2")
    with pytest.raises(PilotError) as info:
        import_program_bytes(pilot_ctx, raw, source="bad.yaml")
    err = info.value
    assert err.code == ErrorCode.INVALID_PROGRAM_FILE
    assert "bad.yaml" in err.message
    problems = err.details
    assert problems, case
    assert any(needle in p["message"] or needle in p["path"] for p in problems), problems
    if line is not None:
        assert any(p["line"] == line for p in problems), problems
    assert _counts(pilot_ctx) == before
    assert get_program(pilot_ctx, "checkout-v2") == snapshot


def test_all_problems_are_reported_at_once() -> None:
    text = SMALL_PROGRAM.replace("owner: ben, probability", "owner: bob, probability").replace(
        "lead: ana}", "lead: nobody}"
    )
    with pytest.raises(PilotError) as info:
        parse_program_yaml(text.encode())
    paths = {p["path"] for p in info.value.details}
    assert {"raid[0].owner", "teams[0].lead"} <= paths


def test_failure_midway_rolls_back_everything(pilot_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import pilot.pipeline.programs as programs

    def exploding_event(*_a: Any, **_k: Any) -> None:
        raise PilotError(ErrorCode.STORAGE, "disk full")

    monkeypatch.setattr(programs, "append_event", exploding_event)
    with pytest.raises(PilotError):
        import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    assert _counts(pilot_ctx)["programs"] == 0 and _counts(pilot_ctx)["people"] == 0


def test_import_is_audited(pilot_ctx: Any) -> None:
    import_program_bytes(pilot_ctx, SMALL_PROGRAM.encode(), source="small.yaml")
    with pilot_ctx.db.transaction() as session:
        assert verify_chain(session).ok
        event = session.scalars(select(AuditEventRow)).one()
        assert event.action == "program.import" and event.actor == "tester"
