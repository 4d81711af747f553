"""Who is acting and what they may do: roles ordered by power, granted per program."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

ALL_PROGRAMS = "*"


class Role(StrEnum):
    VIEWER = "viewer"  # read program data, drafts, findings, answers
    EDITOR = "editor"  # + ingest, extract, draft status updates, edit drafts, triage findings
    APPROVER = "approver"  # + approve or reject drafts (the only path to program data)
    ADMIN = "admin"  # + import programs, manage tokens, write-back configuration

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.APPROVER: 2, Role.ADMIN: 3}


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: str
    name: str
    grants: dict[str, Role]  # program id (or "*") -> role

    def role_on(self, program_id: str) -> Role | None:
        specific = self.grants.get(program_id)
        wildcard = self.grants.get(ALL_PROGRAMS)
        if specific and wildcard:
            return specific if specific.rank >= wildcard.rank else wildcard
        return specific or wildcard

    def visible_programs(self, all_ids: list[str]) -> list[str]:
        return [p for p in all_ids if self.role_on(p) is not None]

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"


class TokenInfo(BaseModel):
    """An API token as listed: never the token itself (only its hash is stored), its first
    characters to recognise it, whose it is, what the user may do, and its lifetime."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: str
    name: str
    prefix: str  # the first 10 characters of the token, e.g. "plt_Ab12cD"
    kind: str
    grants: dict[str, Role]  # the user's roles by program ("*": all programs)
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None  # to within a few minutes
    revoked_at: datetime | None = None
    state: Literal["active", "expired", "revoked"]
