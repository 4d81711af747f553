"""Rules throughput: a detector scan over a 100k-record program and draft checks per second.

    .venv/bin/python benchmarks/rules_bench.py [--records 100000] [--drafts 20000] [--json]

Generates a synthetic program (seeded, so runs are comparable), scans it three times and reports
the best wall time, then runs the draft checks over a mix of action-item and RAID drafts.
Goals (issue 2): scan of 100k records <= 1 s; >= 10,000 draft checks per second.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pilot.domain.drafts import DraftContext, DraftKind
from pilot.domain.program import ProgramData
from pilot.rules.checks import ProgramIndex, run_checks
from pilot.rules.detectors import scan

TZ = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=TZ)
# A vocabulary of a few thousand words drawn with a Zipf-like skew, as real ticket titles are.
_RNG = random.Random(3)
WORDS = [
    "".join(_RNG.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_RNG.randrange(3, 10)))
    for _ in range(4000)
]
WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]


def synthetic_program(records: int, seed: int = 7) -> ProgramData:
    rng = random.Random(seed)
    base = date(2026, 6, 1)

    def day(spread: int = 300) -> date:
        return base + timedelta(days=rng.randrange(spread))

    def moment() -> datetime:
        return datetime.combine(day(170), datetime.min.time(), TZ) + timedelta(hours=rng.randrange(24))

    def title() -> str:
        return " ".join(rng.choices(WORDS, WEIGHTS, k=6))

    share = {"raid": 0.35, "action_items": 0.2, "milestones": 0.1, "dependencies": 0.1, "decisions": 0.1,
             "corrective_actions": 0.05, "readiness": 0.05, "change_requests": 0.05}  # fmt: skip
    n = {k: max(1, int(records * v)) for k, v in share.items()}
    people = [
        {"id": f"p{i}", "name": f"Person {i} Name{i}", "email": f"p{i}@example.com"} for i in range(200)
    ]
    teams = [{"id": f"t{i}", "name": f"Team {i}"} for i in range(20)]
    data: dict[str, Any] = {
        "program": {"id": "bench", "name": "Bench", "tier": 1, "timezone": "America/Los_Angeles"},
        "teams": teams,
        "people": people,
        "milestones": [
            {"id": f"M-{i}", "name": title(), "target_date": (t := day()),
             "forecast_date": t + timedelta(days=rng.randrange(-3, 15)), "critical_path": rng.random() < 0.3,
             "forecast_history": [{"changed_on": day(170), "forecast": t + timedelta(days=rng.randrange(20))}
                                  for _ in range(rng.randrange(3))],
             **({"status": "done", "completed_on": t + timedelta(days=rng.randrange(-2, 10))}
                if t < date(2026, 11, 1) else {})}
            for i in range(n["milestones"])
        ],
        "dependencies": [
            {"id": f"D-{i}", "deliverable": title(), "provider_team": f"t{rng.randrange(20)}",
             "consumer_team": f"t{rng.randrange(20)}", "due_date": (d := day()),
             "status": rng.choice(["in_progress", "at_risk", "blocked", "delivered"]),
             "delivered_on": d + timedelta(days=rng.randrange(-3, 6))}
            for i in range(n["dependencies"])
        ],
        "raid": [
            {"id": f"R-{i}", "kind": rng.choice("RAID"), "title": title(), "owner": rng.choice([None, "p1", "p2"]),
             "opened_at": (o := moment()), "owner_assigned_at": o + timedelta(hours=rng.randrange(90)),
             "last_progress_at": o + timedelta(days=rng.randrange(30)), "status": rng.choice(["open", "closed"])}
            for i in range(n["raid"])
        ],
        "decisions": [
            {"id": f"DEC-{i}", "question": title(), "requested_at": moment(), "status": "pending"}
            for i in range(n["decisions"])
        ],
        "action_items": [
            {"id": f"AI-{i}", "task": title(), "owner": rng.choice([None, "p3"]), "due": day(),
             "created_at": moment()}
            for i in range(n["action_items"])
        ],
        "change_requests": [
            {"id": f"CR-{i}", "title": title(), "requested_at": moment(),
             "impact_days": rng.choice([None, 3.0, 5.0])}
            for i in range(n["change_requests"])
        ],
        "readiness": [
            {"id": f"RD-{i}", "release": f"M-{rng.randrange(n['milestones'])}", "item": title(),
             "gate_date": day(), "done": rng.random() < 0.5}
            for i in range(n["readiness"])
        ],
        "corrective_actions": [
            {"id": f"CA-{i}", "title": title(), "due": day(), "done_on": rng.choice([None, day()])}
            for i in range(n["corrective_actions"])
        ],
    }  # fmt: skip
    return ProgramData.model_validate(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--drafts", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    data = synthetic_program(args.records)
    total = sum(len(getattr(data, f)) for f in type(data).model_fields if f != "program")
    scan_times = []
    for _ in range(3):
        start = time.perf_counter()
        result = scan(data, NOW)
        scan_times.append(time.perf_counter() - start)

    start = time.perf_counter()
    index = ProgramIndex.build(data)
    index_seconds = time.perf_counter() - start
    rng = random.Random(11)
    context = DraftContext(meeting_date=date(2026, 11, 16), timezone="America/Los_Angeles")
    drafts: list[tuple[DraftKind, dict[str, Any]]] = []
    for i in range(args.drafts):
        words = " ".join(rng.choices(WORDS, WEIGHTS, k=7))
        if i % 2:
            drafts.append((DraftKind.ACTION_ITEM, {"task": words, "owner_text": rng.choice(["Person 3", "Zed", "p1"]),
                                                   "due": "2026-11-27", "milestone": f"M-{rng.randrange(50)}"}))  # fmt: skip
        else:
            drafts.append(
                (DraftKind.RAID, {"kind": "R", "title": words, "owner_id": "p1", "mitigation": "x"})
            )
    start = time.perf_counter()
    flagged = sum(bool(run_checks(kind, payload, index, context, NOW)) for kind, payload in drafts)
    check_seconds = time.perf_counter() - start

    report = {
        "records": total,
        "scan_seconds_best": round(min(scan_times), 3),
        "scan_seconds_all": [round(t, 3) for t in scan_times],
        "findings": len(result.findings),
        "kpis": len(result.kpis),
        "index_build_seconds": round(index_seconds, 3),
        "drafts_checked": len(drafts),
        "checks_per_second": round(len(drafts) / check_seconds),
        "drafts_flagged": flagged,
        "goals": {"scan_seconds_max": 1.0, "checks_per_second_min": 10_000},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
