"""Schedule intelligence speed: critical path and slip propagation over a 10k-record plan, and a
10,000-trial delivery forecast for 50 milestones with linked tickets.

    .venv/bin/python benchmarks/schedule_bench.py [--records 10000] [--milestones 50] [--trials 10000] [--json]

Goals (issue 13): critical path + propagation over 10k milestones/dependencies under 100 ms;
the 10k-trial forecast for 50 milestones under 1 s. Each figure is the best of five runs; the
machine (CPU model, cores, load average) is printed with them, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np

from pilot.domain.program import ProgramData
from pilot.domain.schedule import WorkItem, WorkState
from pilot.rules.forecast import forecast_plan
from pilot.rules.schedule_graph import (
    critical_path_method,
    plan_state,
    plan_structure,
    propagate,
    schedule_result,
)
from pilot.rules.slips import explain_slip

AS_OF = date(2026, 11, 20)


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model
            )
        with open("/proc/loadavg", encoding="utf-8") as load:
            loadavg = " ".join(load.read().split()[:3])
    except OSError:
        loadavg = "unknown"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average": loadavg,
        "python": platform.python_version(),
    }


def synthetic_plan(records: int, seed: int = 13) -> ProgramData:
    """Half milestones, half dependencies; each waits for up to three earlier records, a third of
    dependencies feed a later milestone; a tenth is done; a third gives `duration_days`."""
    rng = random.Random(seed)
    milestones: list[dict[str, Any]] = []
    dependencies: list[dict[str, Any]] = []
    ids = [f"M-{i}" if i % 2 == 0 else f"D-{i}" for i in range(records)]
    for i, node in enumerate(ids):
        window = ids[max(0, i - 200) : i]
        after = sorted(set(rng.sample(window, min(len(window), rng.choice([0, 1, 1, 2, 3])))))
        target = AS_OF + timedelta(days=rng.randrange(-20, 400))
        fields: dict[str, Any] = {"id": node, "depends_on": after}
        if rng.random() < 0.33:
            fields["duration_days"] = rng.randrange(0, 30)
        done = rng.random() < 0.1
        if node.startswith("M-"):
            fields |= {
                "name": f"Milestone {i}",
                "target_date": target,
                "forecast_date": target + timedelta(days=rng.randrange(15)),
            }
            if done:
                fields |= {"status": "done", "completed_on": AS_OF - timedelta(days=3)}
            milestones.append(fields)
        else:
            later = [m for m in ids[i + 1 : i + 200] if m.startswith("M-")]
            fields |= {
                "deliverable": f"Deliverable {i}",
                "provider_team": "a",
                "consumer_team": "b",
                "due_date": target,
                "milestone": rng.choice(later) if later and rng.random() < 0.33 else None,
            }
            if done:
                fields |= {"status": "delivered", "delivered_on": AS_OF - timedelta(days=3)}
            dependencies.append(fields)
    teams = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    program = {"id": "bench", "name": "Bench", "tier": 1, "timezone": "America/Los_Angeles"}
    return ProgramData.model_validate(
        {"program": program, "teams": teams, "milestones": milestones, "dependencies": dependencies}
    )


def forecast_program(milestones: int, seed: int = 17) -> tuple[ProgramData, list[WorkItem]]:
    """A chain of `milestones` milestones, each with an epic of tickets: 12 weeks of history
    (2-8 closed a week, some scope growth) and 10-60 open."""
    rng = random.Random(seed)
    items: list[WorkItem] = []
    records = []
    first = AS_OF - timedelta(weeks=13)
    for m in range(milestones):
        epic = f"E-{m}"
        records.append(
            {
                "id": f"M-{m}",
                "name": f"Milestone {m}",
                "target_date": AS_OF + timedelta(days=30 + 7 * m),
                "depends_on": [f"M-{m - 1}"] if m and rng.random() < 0.5 else [],
                "tickets": [epic],
            }
        )
        rate = rng.uniform(2, 8)
        for day in range(84):
            closed = AS_OF - timedelta(days=day)
            for _ in range(np.random.default_rng(seed * 1000 + m * 100 + day).poisson(rate / 7)):
                items.append(
                    WorkItem(
                        key=f"T-{len(items)}",
                        source="jira",
                        state=WorkState.DONE,
                        created=first,
                        closed=closed,
                        parent=epic,
                    )
                )
            if rng.random() < 0.05:
                items.append(
                    WorkItem(
                        key=f"T-{len(items)}",
                        source="jira",
                        state=WorkState.OPEN,
                        created=closed,
                        parent=epic,
                    )
                )
        items += [
            WorkItem(key=f"T-{len(items)}", source="jira", state=WorkState.OPEN, created=first, parent=epic)
            for _ in range(rng.randrange(10, 60))
        ]
    program = {"id": "bench", "name": "Bench", "tier": 1, "timezone": "America/Los_Angeles"}
    return ProgramData.model_validate({"program": program, "milestones": records}), items


def best(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--milestones", type=int, default=50)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    data = synthetic_plan(args.records)
    structure = plan_structure(data)
    state = plan_state(structure, AS_OF)
    cpm = critical_path_method(structure, state)
    origin = next(i for i in structure.order if not state.done[i] and structure.succs[i])

    def critical_path() -> object:
        built = plan_structure(data)
        day = plan_state(built, AS_OF)
        return critical_path_method(built, day)

    figures: dict[str, Any] = {
        "machine": machine(),
        "records": args.records,
        "edges": sum(len(p) for p in structure.preds),
        "critical_path_length": len(cpm.path),
    }
    figures["critical_path_ms"] = best(5, critical_path) * 1000
    figures["propagation_ms"] = best(5, lambda: propagate(structure, state, cpm, origin, 10)) * 1000
    figures["moved_by_propagation"] = len(propagate(structure, state, cpm, origin, 10))
    figures["explained_slip_ms"] = best(5, lambda: explain_slip(structure, state, cpm, origin, 10)) * 1000
    figures["critical_path_plus_propagation_ms"] = figures["critical_path_ms"] + figures["propagation_ms"]
    figures["schedule_result_ms"] = best(3, lambda: schedule_result(structure, state, cpm)) * 1000

    program, items = forecast_program(args.milestones)
    small = plan_structure(program)
    small_state = plan_state(small, AS_OF)
    small_cpm = critical_path_method(small, small_state)
    result = forecast_plan(small, small_state, small_cpm, items, np.random.default_rng(1), trials=args.trials)
    figures["forecast_milestones"] = sum(1 for f in result.forecasts if f.basis == "tickets")
    figures["forecast_tickets"] = len(items)
    figures["forecast_trials"] = args.trials
    figures["forecast_ms"] = (
        best(
            5,
            lambda: forecast_plan(
                small, small_state, small_cpm, items, np.random.default_rng(1), trials=args.trials
            ),
        )
        * 1000
    )
    figures["goals"] = {"critical_path_plus_propagation_ms": 100, "forecast_ms": 1000}
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
        return 0
    m = figures["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, load average {m['load_average']}, Python {m['python']}")
    print(
        f"plan: {args.records:,} milestones/dependencies, {figures['edges']:,} links, critical path of "
        f"{figures['critical_path_length']} records"
    )
    print(f"critical path (graph, remaining durations, CPM passes): {figures['critical_path_ms']:.1f} ms")
    print(
        f"slip propagation (incremental, {figures['moved_by_propagation']} records move): {figures['propagation_ms']:.2f} ms"
    )
    print(
        f"critical path + propagation: {figures['critical_path_plus_propagation_ms']:.1f} ms (goal < 100 ms)"
    )
    print(
        f"explained slip (chain, slack, gates, re-planned critical path): {figures['explained_slip_ms']:.1f} ms"
    )
    print(f"schedule result as domain models (pages, fact sheet): {figures['schedule_result_ms']:.1f} ms")
    print(
        f"forecast: {args.trials:,} trials for {figures['forecast_milestones']} milestones "
        f"({figures['forecast_tickets']:,} tickets): {figures['forecast_ms']:.0f} ms (goal < 1,000 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
