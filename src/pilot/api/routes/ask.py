"""Ask over HTTP."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from pilot.api.deps import CanView, PilotDep
from pilot.domain.answers import Answer
from pilot.pipeline.ask import ask

router = APIRouter(tags=["ask"])


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=1000)


@router.post("/programs/{program_id}/ask")
def ask_route(program_id: str, body: Question, _scope: CanView, pilot: PilotDep) -> Answer:
    return ask(pilot, program_id, body.question)
