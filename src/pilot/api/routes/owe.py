"""What each person owes and is owed: the people overview, one person's report, their digest."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from pilot.api.deps import CanView, PilotDep
from pilot.domain.owe import OweReport, PersonLoad
from pilot.pipeline.owe import digest, people_overview, person_report

router = APIRouter(tags=["people"])
DIGEST_MEDIA = {"md": "text/markdown", "html": "text/html", "slack": "text/plain"}


@router.get("/programs/{program_id}/people")
def people_route(program_id: str, _scope: CanView, pilot: PilotDep) -> list[PersonLoad]:
    """Open records each person owes and is owed, counted, in name order."""
    return people_overview(pilot, program_id)


@router.get("/programs/{program_id}/people/{person}/owe")
def owe_route(program_id: str, person: str, _scope: CanView, pilot: PilotDep) -> OweReport:
    """`person` is an id, name, alias or e-mail; an ambiguous name is refused (422)."""
    return person_report(pilot, program_id, person)


@router.get("/programs/{program_id}/people/{person}/digest", response_class=PlainTextResponse)
def digest_route(
    program_id: str,
    person: str,
    _scope: CanView,
    pilot: PilotDep,
    format: Literal["md", "html", "slack"] = "md",  # noqa: A002
) -> PlainTextResponse:
    """The weekly digest: Markdown, an HTML e-mail body, or Slack mrkdwn."""
    text = digest(person_report(pilot, program_id, person), format)
    return PlainTextResponse(text, media_type=DIGEST_MEDIA[format])
