"""What a person owes and is owed across a program: open records with their ages and due dates.

"Owes" is ownership of record: open action items, pending decisions they decide, open RAID items,
undelivered dependencies, open milestones, readiness items not done and corrective actions not
closed, each with the person as owner (decider for decisions). "Owed" is what others owe that the
person waits on, by a link the data of record has (see `pilot.rules.owe` for the two bases).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class OweKind(StrEnum):
    ACTION = "action"
    DECISION = "decision"
    RAID = "raid"
    DEPENDENCY = "dependency"
    MILESTONE = "milestone"
    READINESS = "readiness"
    CORRECTIVE = "corrective"


KIND_LABELS: dict[OweKind, str] = {
    OweKind.ACTION: "Action items",
    OweKind.DECISION: "Decisions to make",
    OweKind.RAID: "RAID items",
    OweKind.DEPENDENCY: "Dependencies to deliver",
    OweKind.MILESTONE: "Milestones",
    OweKind.READINESS: "Readiness items",
    OweKind.CORRECTIVE: "Corrective actions",
}

KIND_NAMES: dict[OweKind, str] = {
    OweKind.ACTION: "action item",
    OweKind.DECISION: "decision",
    OweKind.RAID: "RAID item",
    OweKind.DEPENDENCY: "dependency",
    OweKind.MILESTONE: "milestone",
    OweKind.READINESS: "readiness item",
    OweKind.CORRECTIVE: "corrective action",
}


class OweItem(BaseModel):
    """One open record someone owes. `ref` is the record reference (``action:AI-04``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: OweKind
    ref: str
    record_id: str
    title: str
    status: str
    owner: str | None  # person id who owes it (None: nobody owns it yet)
    owner_name: str | None = None
    due: date | None = None  # due date, needed-by date, gate date or forecast, by kind
    due_label: str = "due"
    opened: date | None = None  # when it was opened or asked, where the record says
    age_days: int | None = None
    days_left: int | None = None  # negative when overdue
    milestone: str | None = None
    why: str | None = None  # for "owed": why the person waits on it

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


class OweReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: str
    program_name: str
    person_id: str
    person_name: str
    email: str | None = None
    team: str | None = None
    as_of: date
    owes: list[OweItem] = Field(default_factory=list)
    owed: list[OweItem] = Field(default_factory=list)

    @property
    def overdue_owed_by_me(self) -> list[OweItem]:
        return [i for i in self.owes if i.overdue]


class PersonLoad(BaseModel):
    """One line of the people overview: counts only (never a ranking: listed by name)."""

    model_config = ConfigDict(extra="forbid")

    person_id: str
    name: str
    team: str | None
    owes: int
    owes_overdue: int
    owed: int
    owed_overdue: int
