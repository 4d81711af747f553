"""The computed plan: critical path, slack, ticket forecasts and an optional what-if slip."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pilot.api.deps import CanView, PilotDep
from pilot.pipeline.schedule import ProgramSchedule, program_schedule

router = APIRouter(tags=["plan"])


@router.get("/programs/{program_id}/plan")
def plan_route(
    program_id: str,
    _scope: CanView,
    pilot: PilotDep,
    slip: Annotated[
        str | None, Query(max_length=64, description="Milestone or dependency id to slip.")
    ] = None,
    days: Annotated[int, Query(ge=-250, le=250, description="Business days of the what-if slip.")] = 5,
) -> ProgramSchedule:
    """The plan as of the program's as-of date. With `slip`, also what that slip moves downstream,
    computed on a copy: nothing is saved."""
    what_if = (slip.strip(), days) if slip and slip.strip() else None
    return program_schedule(pilot, program_id, slip=what_if)
