"""What every command shares: opening pilot, printing JSON or tables, and turning errors into exits."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console

from pilot.domain.errors import Actor, ErrorCode, PilotError
from pilot.pipeline.context import Pilot, fixed_clock, open_pilot

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CODES = {Actor.USER: 2, Actor.OPERATOR: 3, Actor.UPSTREAM: 4, Actor.PILOT: 1}

console = Console()
err_console = Console(stderr=True)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a PilotError (and every problem it lists) to stderr and exit with its actor's code."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PilotError as exc:
            err_console.print(
                f"[bold red]error[/] ({exc.code.value}): {exc.message}", markup=True, highlight=False
            )
            details = exc.details
            if isinstance(details, list):
                for problem in details[:200]:
                    if isinstance(problem, dict) and "message" in problem:
                        line = f"line {problem.get('line')}: " if problem.get("line") else ""
                        path = problem.get("path") or "<file>"
                        err_console.print(
                            f"  - {line}{path}: {problem['message']}", markup=False, highlight=False
                        )
                if len(details) > 200:
                    err_console.print(f"  ... and {len(details) - 200} more", markup=False)
            raise typer.Exit(EXIT_CODES[exc.code.actor]) from None

    return wrapper


@contextmanager
def pilot_session(now: datetime | None = None, as_of: date | None = None) -> Iterator[Pilot]:
    """`now` (--now) fixes the clock and the as-of moment; `as_of` (--as-of DATE) only the as-of day."""
    ctx = open_pilot(actor=_actor(), clock=fixed_clock(now) if now else None, as_of=now or as_of)
    try:
        yield ctx
    finally:
        ctx.close()


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def emit_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    elif isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
        text = json.dumps([v.model_dump(mode="json") for v in value], indent=2)
    else:
        text = json.dumps(value, indent=2, default=str)
    sys.stdout.write(text + "\n")


def parse_when(value: str | None) -> datetime | None:
    """Parse an ISO timestamp given on the command line; it must carry an offset."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise PilotError(ErrorCode.INVALID_INPUT, f"not an ISO 8601 timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        raise PilotError(ErrorCode.INVALID_INPUT, f"timestamp needs a UTC offset, e.g. {value}+00:00")
    return parsed


AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute as of this date (YYYY-MM-DD) or ISO timestamp; default: the program's "
        "own as-of date, else now.",
    ),
]


def parse_as_of(value: str | None) -> tuple[datetime | None, date | None]:
    """--as-of takes a date (17:00 in the program's time zone) or a timestamp with an offset."""
    if value is None:
        return None, None
    try:
        return None, date.fromisoformat(value)
    except ValueError:
        return parse_when(value), None
