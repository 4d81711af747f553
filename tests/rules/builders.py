"""Small builders for rules tests: one program, a few records, everything else default."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pilot.domain.program import ProgramData

LA = ZoneInfo("America/Los_Angeles")


def at(text: str, tz: ZoneInfo = LA) -> datetime:
    """'2026-11-20 17:00' in the program's zone."""
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def program(tier: int = 1, timezone: str = "America/Los_Angeles", **collections: Any) -> ProgramData:
    base: dict[str, Any] = {
        "program": {"id": "p1", "name": "Test program", "tier": tier, "timezone": timezone},
        "teams": [{"id": "core", "name": "Core"}, {"id": "edge", "name": "Edge"}],
        "people": [
            {
                "id": "ana",
                "name": "Ana Lima",
                "email": "ana@example.com",
                "aliases": ["Annie"],
                "team": "core",
            },
            {"id": "alex.k", "name": "Alexander Kim", "aliases": ["Alex"], "team": "core"},
            {"id": "alex.r", "name": "Alexandra Rivera", "aliases": ["Alex", "Sasha"], "team": "edge"},
            {"id": "bob", "name": "Robert Hayes", "email": "rhayes@example.com", "aliases": ["Bob"]},
        ],
    }
    thresholds = collections.pop("thresholds", None)
    if thresholds:
        base["program"]["thresholds"] = thresholds
    base.update(collections)
    return ProgramData.model_validate(base)


def milestone(mid: str, target: date, **fields: Any) -> dict[str, Any]:
    return {"id": mid, "name": f"Milestone {mid}", "target_date": target, **fields}
