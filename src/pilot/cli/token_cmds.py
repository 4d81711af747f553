"""`pilot token create|list|revoke`: API tokens for the HTTP API and the web pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import typer
from rich.table import Table

from pilot.cli.common import console, emit_json, handle_errors, pilot_session
from pilot.clock import system_clock as wall_clock
from pilot.domain.auth import ALL_PROGRAMS, Role, TokenInfo
from pilot.domain.errors import ErrorCode, PilotError
from pilot.pipeline.access import issue, list_tokens, revoke

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_lifetime(value: str) -> timedelta:
    """'90m', '12h', '30d', '2w' (a number and a unit)."""
    found = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", value.lower())
    if not found or int(found.group(1)) == 0:
        raise PilotError(ErrorCode.INVALID_INPUT, f"not a lifetime: {value!r} (e.g. 90m, 12h, 30d, 2w)")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def parse_expiry(value: str) -> datetime:
    """An ISO date (the token works through that day, UTC) or a timestamp with an offset."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return datetime.combine(date.fromisoformat(value.strip()) + timedelta(days=1), time(), UTC)
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise PilotError(ErrorCode.INVALID_INPUT, f"not an ISO date or timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        raise PilotError(ErrorCode.INVALID_INPUT, f"the timestamp needs a UTC offset, e.g. {value}+00:00")
    return parsed


def _expiry(expires_in: str | None, expires: str | None) -> datetime | None:
    if expires_in and expires:
        raise PilotError(ErrorCode.INVALID_INPUT, "give --expires-in or --expires, not both")
    if expires_in:
        return wall_clock() + parse_lifetime(expires_in)
    return parse_expiry(expires) if expires else None


def _when(value: datetime | None, empty: str = "-") -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else empty


def _table(tokens: list[TokenInfo]) -> Table:
    table = Table("id", "user", "name", "starts", "roles", "expires", "last used", "state")
    for t in tokens:
        roles = ", ".join(f"{r.value}@{p}" for p, r in sorted(t.grants.items()))
        table.add_row(
            str(t.id),
            t.user_id,
            t.name,
            t.prefix + "…",
            roles,
            _when(t.expires_at, "never"),
            _when(t.last_used_at, "never"),
            t.state,
        )
    return table


def register(app: typer.Typer) -> None:
    token_app = typer.Typer(help="API tokens for the HTTP API and the web pages.", no_args_is_help=True)

    @token_app.command("create")
    @handle_errors
    def create_cmd(
        user: Annotated[str, typer.Option("--user", "-u", help="User id (created if new).")],
        role: Annotated[Role, typer.Option("--role", help="viewer, editor, approver or admin.")],
        program: Annotated[
            str, typer.Option("--program", "-p", help="Program id, or * for all.")
        ] = ALL_PROGRAMS,
        name: Annotated[str | None, typer.Option(help="Display name.")] = None,
        token_name: Annotated[str, typer.Option("--token-name", help="What the token is for.")] = "default",
        expires_in: Annotated[
            str | None, typer.Option("--expires-in", help="Lifetime: 90m, 12h, 30d, 2w (default: no expiry).")
        ] = None,
        expires: Annotated[
            str | None, typer.Option("--expires", help="Last day (2027-01-31, UTC) or an ISO timestamp.")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Grant a role and print a new token (shown once; only its hash is stored)."""
        with pilot_session() as ctx:
            issued = issue(
                ctx,
                user_id=user,
                name=name,
                role=role,
                program_id=program,
                token_name=token_name,
                expires_at=_expiry(expires_in, expires),
            )
        if as_json:
            emit_json(
                {
                    "user": user,
                    "role": role.value,
                    "program": program,
                    "token": issued.token,
                    "id": issued.info.id,
                    "expires_at": issued.info.model_dump(mode="json")["expires_at"],
                }
            )
        else:
            console.print(
                f"token {issued.info.id} for {user} ({role.value} on {program}), expires "
                f"{_when(issued.info.expires_at, 'never')}:\n{issued.token}",
                highlight=False,
            )

    @token_app.command("list")
    @handle_errors
    def list_cmd(
        user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user's tokens.")] = None,
        show_all: Annotated[bool, typer.Option("--all", help="Also revoked and expired tokens.")] = False,
        as_json: JsonOpt = False,
    ) -> None:
        """List tokens (never their values): id, user, roles, expiry, last use (to within minutes)."""
        with pilot_session() as ctx:
            tokens = list_tokens(ctx, user_id=user, include_inactive=show_all)
        if as_json:
            emit_json([t.model_dump(mode="json") for t in tokens])
        elif not tokens:
            console.print("no tokens" + ("" if show_all else " (--all shows revoked and expired ones)"))
        else:
            console.print(_table(tokens))

    @token_app.command("revoke")
    @handle_errors
    def revoke_cmd(
        token_id: Annotated[
            int, typer.Argument(help="The token's id (pilot token list).", min=1, max=2**63 - 1)
        ],
        reason: Annotated[str | None, typer.Option(help="Why (kept in the audit log).")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Revoke a token by id: requests with it are refused from now on."""
        with pilot_session() as ctx:
            info = revoke(ctx, token_id, reason=reason)
        if as_json:
            emit_json(info)
        else:
            console.print(f"token {info.id} of {info.user_id} ({info.prefix}…) is revoked", highlight=False)

    app.add_typer(token_app, name="token")
