"""What the rules layer says: findings about drafts and programs, and KPI values."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


JsonScalar = str | int | float | bool | None


def rule_family(rule_id: str) -> str:
    """The family of a rule: what its id names before the first dot (``dependency.overdue`` ->
    ``dependency``). Rules of one family watch the same kind of record for related conditions."""
    return rule_id.split(".", 1)[0]


class Finding(BaseModel):
    """One thing a rule noticed. `subjects` are record references such as ``raid:R-001``.

    `values` holds the facts that made the rule fire (dates, counts, threshold); two scans
    that see the same facts produce the same `facts_hash`, which is how a resolved finding stays
    resolved until its facts change.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    severity: Severity
    message: str
    subjects: tuple[str, ...] = ()
    values: dict[str, JsonScalar | list[JsonScalar]] = Field(default_factory=dict)
    # Values measured at scan time (ages, days left): shown to people, never part of the facts
    # hash, so a resolved "risk aged 31 days" does not come back as "aged 32 days" tomorrow.
    measures: dict[str, JsonScalar] = Field(default_factory=dict)
    suggested_action: str | None = None

    @property
    def key(self) -> str:
        """Identity of the finding: same rule about the same records."""
        return _digest({"rule": self.rule_id, "subjects": sorted(self.subjects)})

    @property
    def family(self) -> str:
        return rule_family(self.rule_id)

    @property
    def facts_hash(self) -> str:
        return _digest({"rule": self.rule_id, "values": self.values})


class KpiStatus(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACH = "breach"
    NO_DATA = "no_data"


class KpiValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kpi_id: str
    name: str
    value: float | None
    unit: str  # "ratio", "days", "hours", "count", "per_period"
    target: str  # human-readable target, e.g. ">= 0.85"
    status: KpiStatus
    numerator: float | None = None
    denominator: float | None = None
    detail: str = ""


class FindingState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class StoredFinding(BaseModel):
    """A persisted finding with its review state."""

    model_config = ConfigDict(extra="forbid")

    id: int
    program_id: str
    finding: Finding
    state: FindingState
    first_seen_at: datetime
    last_seen_at: datetime
    active: bool  # false when the latest scan no longer produced it
    state_reason: str | None = None
    state_by: str | None = None
    state_at: datetime | None = None
    snoozed_until: datetime | None = None


def _digest(obj: Any) -> str:
    data = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:32]
