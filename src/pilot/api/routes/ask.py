"""Ask over HTTP."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from pilot.api.deps import CanView, PilotDep
from pilot.domain.answers import Answer
from pilot.pipeline.ask import ask

router = APIRouter(tags=["ask"])


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=1000)
    as_of: date | None = Field(
        default=None, description="Answer as of this date; default: the program's as-of date, else today."
    )


@router.post("/programs/{program_id}/ask")
def ask_route(program_id: str, body: Question, _scope: CanView, pilot: PilotDep) -> Answer:
    """Records answer exactly (rows, with the date they are computed for); documents with checked citations."""
    return ask(pilot, program_id, body.question, as_of=body.as_of)
