"""Users, grants and tokens as use cases (CLI `pilot token`, the demo's admin token)."""

from __future__ import annotations

from pilot.domain.auth import ALL_PROGRAMS, Role
from pilot.pipeline.context import Pilot
from pilot.store.audit import append_event
from pilot.store.auth import create_user_with_token


def issue_token(
    pilot: Pilot,
    *,
    user_id: str,
    name: str | None = None,
    role: Role,
    program_id: str = ALL_PROGRAMS,
    token_name: str = "default",
) -> str:
    """Create (or reuse) a user, grant the role on the program and return a new token in clear."""
    now = pilot.now()
    with pilot.db.transaction() as session:
        token = create_user_with_token(
            session,
            user_id,
            name=name or user_id,
            role=role,
            program_id=program_id,
            now=now,
            token_name=token_name,
        )
        append_event(
            session,
            actor=pilot.actor,
            action="token.create",
            program_id=None if program_id == ALL_PROGRAMS else program_id,
            subject=f"user:{user_id}",
            after={"role": role.value, "program": program_id, "token_name": token_name, "prefix": token[:10]},
            at=now,
        )
    return token
