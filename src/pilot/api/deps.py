"""Dependencies every route states in its signature."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from pilot.pipeline.context import Pilot


def get_pilot(request: Request) -> Pilot:
    pilot: Pilot = request.app.state.pilot
    return pilot


PilotDep = Annotated[Pilot, Depends(get_pilot)]
