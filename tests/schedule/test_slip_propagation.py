"""Slip propagation: hand-built plans (slack absorbing part of a slip, two paths merging, a slip
that changes the critical path, done work) and random plans against recomputing the whole schedule."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from pilot.rules.schedule_graph import critical_path_method, plan_state, plan_structure
from pilot.rules.slips import explain_slip, slip_record

from .plans import AS_OF, dep, ms, plan, random_plan


def moves(data, record_id: str, slip: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {s.id: s.slip_days for s in slip_record(data, AS_OF, record_id, slip).steps}


def test_slack_absorbs_part_of_a_slip_and_the_chain_says_so() -> None:
    # DEP-4 (3 days) and M-5 (5 days) both feed M-7: DEP-4 has 2 days of slack in front of M-7.
    data = plan(
        [ms("M-5", days=5), ms("M-7", days=4, after=("M-5",))],
        [dep("DEP-4", days=3, feeds="M-7")],
        readiness=[{"id": "RD-1", "release": "M-7", "item": "Runbook", "gate_date": "2026-11-30"}],
    )
    result = slip_record(data, AS_OF, "DEP-4", 5)
    assert {s.id: (s.slip_days, s.absorbed_days) for s in result.steps} == {"DEP-4": (5, 0), "M-7": (3, 2)}
    assert result.summary.startswith("DEP-4 slips 5 business days -> M-7 slips 3 (2 days of slack absorbed)")
    assert (
        result.gates_at_risk and result.gates_at_risk[0].release == "M-7"
    )  # ready 2026-12-02, after the gate
    assert result.summary.endswith("M-7 go/no-go 2026-11-30 at risk")
    assert moves(data, "DEP-4", 2) == {"DEP-4": 2}  # fully absorbed
    absorbed = slip_record(data, AS_OF, "DEP-4", 2)
    assert absorbed.absorbed_by == ["M-7 (2 days of slack)"] and "nothing else moves" in absorbed.summary


def test_two_paths_merge_and_the_later_one_decides() -> None:
    # A (4) -> C, B (6) -> C -> D. A slip of A by 5 arrives 3 days after B; D moves 3.
    data = plan(
        [ms("A", days=4), ms("B", days=6), ms("C", days=2, after=("A", "B")), ms("D", days=1, after=("C",))]
    )
    assert moves(data, "A", 5) == {"A": 5, "C": 3, "D": 3}
    assert moves(data, "B", 5) == {"B": 5, "C": 5, "D": 5}
    both = slip_record(data, AS_OF, "A", 5)
    assert [s.id for s in both.chain] == ["A", "C", "D"] and both.chain[1].via == "A"


def test_a_slip_beyond_the_slack_changes_the_critical_path() -> None:
    data = plan([ms("A", days=4), ms("B", days=6), ms("C", days=2, after=("A", "B"))])
    result = slip_record(data, AS_OF, "A", 5)
    assert result.critical_before == ["B", "C"] and result.critical_after == ["A", "C"]
    assert (result.finish_after - result.finish_before).days >= 3


def test_done_work_and_zero_slips_move_nothing() -> None:
    data = plan([ms("A", days=3, status="done", completed_on="2026-11-02"), ms("B", days=2, after=("A",))])
    assert slip_record(data, AS_OF, "A", 5).steps == []
    assert "is done" in slip_record(data, AS_OF, "A", 5).summary
    assert slip_record(data, AS_OF, "B", 0).steps == []


@pytest.mark.parametrize("seed", range(6))
def test_propagation_agrees_with_recomputing_the_whole_schedule_on_random_plans(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        data, _durations, _edges, done = random_plan(rng, rng.randint(5, 400))
        structure = plan_structure(data)
        state = plan_state(structure, AS_OF)
        cpm = critical_path_method(structure, state)
        candidates = [i for i in range(structure.size) if not state.done[i]]
        if not candidates:
            continue
        origin = rng.choice(candidates)
        slip = rng.choice([-3, -1, 1, 2, 5, 10, 30])
        explained = explain_slip(structure, state, cpm, origin, slip)
        remaining = list(state.remaining)
        remaining[origin] = max(0, remaining[origin] + slip)
        again = critical_path_method(structure, replace(state, remaining=remaining))
        recomputed = {
            structure.ids[i]: again.finish[i] - cpm.finish[i]
            for i in range(structure.size)
            if not state.done[i] and again.finish[i] != cpm.finish[i]
        }
        assert {s.id: s.slip_days for s in explained.steps} == recomputed
        assert explained.critical_after == [structure.ids[i] for i in again.path]
        # every step but the origin was pushed by a predecessor that moved at least as far
        by_id = {s.id: s for s in explained.steps}
        for step in explained.steps[1:]:
            assert step.via in by_id and by_id[step.via].slip_days - step.slip_days == step.absorbed_days >= 0
