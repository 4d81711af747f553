"""Plan builders for schedule tests: random DAGs of milestones and dependencies, and small hand-built plans."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from pilot.domain.program import ProgramData

AS_OF = date(2026, 11, 20)  # a Friday


def plan(
    milestones: list[dict[str, Any]], dependencies: list[dict[str, Any]] | None = None, **extra: Any
) -> ProgramData:
    return ProgramData.model_validate(
        {
            "program": {"id": "p1", "name": "Plan", "tier": 1, "timezone": "America/Los_Angeles"},
            "teams": [{"id": "core", "name": "Core"}, {"id": "edge", "name": "Edge"}],
            "milestones": milestones,
            "dependencies": dependencies or [],
            **extra,
        }
    )


def ms(
    mid: str,
    *,
    days: int | None = None,
    after: tuple[str, ...] = (),
    target: date = date(2027, 3, 1),
    **fields: Any,
) -> dict[str, Any]:
    return {
        "id": mid,
        "name": f"Milestone {mid}",
        "target_date": target,
        "duration_days": days,
        "depends_on": list(after),
        **fields,
    }


def dep(
    did: str,
    *,
    days: int | None = None,
    after: tuple[str, ...] = (),
    due: date = date(2027, 3, 1),
    feeds: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "id": did,
        "deliverable": f"Deliverable {did}",
        "provider_team": "core",
        "consumer_team": "edge",
        "due_date": due,
        "duration_days": days,
        "depends_on": list(after),
        "milestone": feeds,
        **fields,
    }


def random_plan(
    rng: random.Random, size: int
) -> tuple[ProgramData, dict[str, int], list[tuple[str, str]], set[str]]:
    """A random DAG: every node waits for up to 3 earlier ones; about a tenth is done. Returns the
    program, the durations of open nodes, the edges (predecessor, node) and the done ids."""
    ids = [f"M-{i}" if rng.random() < 0.5 else f"D-{i}" for i in range(size)]
    durations = {node: rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 21]) for node in ids}
    done = {node for node in ids if rng.random() < 0.1}
    edges: list[tuple[str, str]] = []
    milestones, dependencies = [], []
    for i, node in enumerate(ids):
        width = min(i, rng.choice([0, 1, 1, 2, 2, 3]))
        after = tuple(sorted(set(rng.sample(ids[:i], width)))) if width else ()
        edges += [(p, node) for p in after]
        fields: dict[str, Any] = {"days": durations[node], "after": after}
        if node.startswith("M-"):
            if node in done:
                fields |= {"status": "done", "completed_on": date(2026, 11, 2)}
            milestones.append(ms(node, **fields))
        else:
            later = [m for m in ids[i + 1 :] if m.startswith("M-")]
            feeds = rng.choice(later) if later and rng.random() < 0.3 else None
            if feeds:
                edges.append((node, feeds))
            if node in done:
                fields |= {"status": "delivered", "delivered_on": date(2026, 11, 2)}
            dependencies.append(dep(node, feeds=feeds, **fields))
    return plan(milestones, dependencies), durations, edges, done
