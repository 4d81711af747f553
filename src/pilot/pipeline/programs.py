"""Import and export program files; list and load programs."""

from __future__ import annotations

from pathlib import Path

from pilot.connectors.program_file import MAX_PROGRAM_FILE_BYTES as MAX_PROGRAM_FILE_BYTES
from pilot.connectors.program_file import dump_program_yaml, parse_program_yaml
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import ProgramData, ProgramInfo, SaveSummary
from pilot.pipeline.context import Pilot
from pilot.pipeline.heap import collection_paused_for
from pilot.store.audit import append_event
from pilot.store.programs import list_programs, load_program, save_program


def read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise PilotError(ErrorCode.INVALID_INPUT, f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{path} is a directory, not a program file") from exc
    except OSError as exc:
        raise PilotError(ErrorCode.INVALID_INPUT, f"cannot read {path}: {exc.strerror}") from exc


def parse_program(raw: bytes, *, source: str) -> ProgramData:
    """A program file's bytes checked against the schema: every problem with its YAML path and line."""
    with collection_paused_for(len(raw)):  # a 64 MB file is millions of YAML tokens: see pipeline/heap
        return parse_program_yaml(raw, source=source)


def import_program_bytes(pilot: Pilot, raw: bytes, *, source: str, prune: bool = False) -> SaveSummary:
    """Validate everything first, then write it all in one transaction (all-or-nothing)."""
    with collection_paused_for(len(raw)):
        return save_program_data(pilot, parse_program(raw, source=source), source=source, prune=prune)


def save_program_data(pilot: Pilot, data: ProgramData, *, source: str, prune: bool = False) -> SaveSummary:
    now = pilot.now()
    with pilot.db.transaction() as session:
        summary = save_program(session, data, prune=prune, now=now)
        if summary.changed:
            append_event(
                session,
                actor=pilot.actor,
                action="program.import",
                program_id=data.program.id,
                subject=f"program:{data.program.id}",
                after={
                    "source": source,
                    "created": summary.created,
                    "updated": summary.updated,
                    "deleted": summary.deleted,
                },
                at=now,
            )
    return summary


def import_program_file(pilot: Pilot, path: Path, *, prune: bool = False) -> SaveSummary:
    return import_program_bytes(pilot, read_file_bytes(path), source=str(path), prune=prune)


def get_program(pilot: Pilot, program_id: str) -> ProgramData:
    with pilot.db.reading() as session:
        return load_program(session, program_id)


def export_program(pilot: Pilot, program_id: str) -> str:
    return dump_program_yaml(get_program(pilot, program_id))


def programs(pilot: Pilot) -> list[ProgramInfo]:
    with pilot.db.reading() as session:
        return list_programs(session)
