"""Files and folders as a source: transcripts and notes, and saved exports of the other sources.

A `.json` file is recognized by its shape: a Jira search page (`issues` with `fields`), a GitHub
issues list (`number` + `html_url`), or a PagerDuty incidents list (`incidents`, with the notes
of an incident read from a `pagerduty_notes_<id>.json` beside it); any other JSON is a transcript
of turns. A `.csv` file is a Jira "Export CSV". Everything else is a transcript or notes.

Each file is read whole and parsed before anything is returned, so a file that cannot be read is
one `ConnectorFailure` and never a half-built document. Bytes go through the same decoding rules
as uploads (size limit, binary refused, BOM, Latin-1 fallback with a warning).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, tzinfo
from functools import partial
from pathlib import Path
from typing import Any

from pilot.connectors.base import PullBatch, failure
from pilot.connectors.github import issue_document as github_issue
from pilot.connectors.jira import import_jira_csv
from pilot.connectors.jira import issue_document as jira_issue
from pilot.connectors.pagerduty import incident_document
from pilot.connectors.text_decoding import decode_text
from pilot.connectors.transcripts import DEFAULT_MAX_BYTES, parse_transcript
from pilot.domain.documents import Document
from pilot.domain.errors import ErrorCode, PilotError

TEXT_SUFFIXES = frozenset({".vtt", ".srt", ".txt", ".md", ".markdown", ".json", ".csv"})
# Files in a folder that are not material: documentation of the folder, and incident notes
# (read with their incident, not as documents of their own).
SKIPPED_PREFIXES = ("readme", "pagerduty_notes_")
NotesLookup = Callable[[str], list[dict[str, Any]]]


def iter_files(paths: Sequence[Path]) -> list[Path]:
    """Files named, plus the material files under folders named (hidden folders skipped).
    A path that does not exist is an error before anything is read."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise PilotError(ErrorCode.INVALID_INPUT, f"no such file or folder: {', '.join(missing)}")
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if (
                    child.is_file()
                    and child.suffix.lower() in TEXT_SUFFIXES
                    and not child.name.lower().startswith(SKIPPED_PREFIXES)
                    and not any(part.startswith(".") for part in relative)
                ):
                    found.append(child)
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def read_bytes(
    data: bytes,
    filename: str,
    program_id: str,
    *,
    meeting_date: date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    source: str = "file",
    external_id: str | None = None,
    notes: NotesLookup | None = None,
    tz: tzinfo = UTC,
) -> PullBatch:
    """One file's bytes -> its documents. Raises `PilotError` when the file as a whole is unusable;
    a bad record inside an export is a failure in the batch and the rest are kept."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        text, warnings = decode_text(data, filename, max_bytes=max_bytes)
        rows = import_jira_csv(text, program_id, tz=tz)
        _add_warnings(rows.documents, warnings)
        return rows
    if suffix == ".json":
        text, warnings = decode_text(data, filename, max_bytes=max_bytes)
        try:
            raw: Any = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            raw = None  # the transcript parser reports it with line and column
        batch = export_documents(raw, program_id, notes=notes)
        if batch is not None:
            _add_warnings(batch.documents, warnings)
            return batch
    doc = parse_transcript(data, filename=filename, program_id=program_id, meeting_date=meeting_date,
                           source=source, external_id=external_id or filename, max_bytes=max_bytes)  # fmt: skip
    return PullBatch(documents=[doc])


def read_path(
    path: Path,
    program_id: str,
    *,
    meeting_date: date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tz: tzinfo = UTC,
) -> PullBatch:
    """A file on disk; its external id is its absolute path, so re-reading it is an update."""
    size = path.stat().st_size
    if size > max_bytes:  # refused before reading a byte of it
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"{path.name}: {size / 1048576:.1f} MB is larger than the {max_bytes / 1048576:.0f} MB limit",
            details={"bytes": size, "limit": max_bytes},
        )
    return read_bytes(path.read_bytes(), path.name, program_id, meeting_date=meeting_date, max_bytes=max_bytes,
                      external_id=str(path.resolve()), notes=_notes_beside(path), tz=tz)  # fmt: skip


def upload_external_id(filename: str, data: bytes) -> str:
    """Uploads have no path: the name plus a content digest, so the same upload twice is one
    document (the extraction job names uploads the same way)."""
    return f"{filename}#{hashlib.sha256(data).hexdigest()[:12]}"


class FileSource:
    """Files and folders as a connector: one batch per file, no cursor, no census (a file that
    disappears from a folder may just have been moved; deleting its document is a user's call)."""

    source = "file"

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        meeting_date: date | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        tz: tzinfo = UTC,
    ) -> None:
        self.files = iter_files(paths)
        self.meeting_date = meeting_date
        self.max_bytes = max_bytes
        self.tz = tz

    def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
        for path in self.files:
            try:
                batch = read_path(path, program_id, meeting_date=self.meeting_date, max_bytes=self.max_bytes,
                                  tz=self.tz)  # fmt: skip
            except PilotError as exc:
                batch = PullBatch(failures=[failure("file", str(path), exc.message)])
            except OSError as exc:
                batch = PullBatch(
                    failures=[failure("file", str(path), f"cannot read: {exc.strerror or exc}")]
                )
            batch.cursor = str(path)
            yield batch

    def census(self, program_id: str) -> set[str] | None:
        return None


def export_documents(raw: Any, program_id: str, *, notes: NotesLookup | None = None) -> PullBatch | None:
    """A saved API response, recognized by its shape; None when it is not one (a JSON transcript)."""
    batch = PullBatch()
    if _is_jira_page(raw):
        for item in raw["issues"]:
            _safely(batch, "jira", item.get("key"), partial(_jira, item, program_id))
        return batch
    if (
        isinstance(raw, list)
        and raw
        and all(isinstance(i, dict) and "number" in i and "html_url" in i for i in raw)
    ):
        for item in raw:
            _safely(batch, "github", item.get("number"), partial(_github, item, program_id))
        return batch
    if isinstance(raw, dict) and isinstance(raw.get("incidents"), list):
        for item in raw["incidents"]:
            if not isinstance(item, dict):
                batch.failures.append(failure("pagerduty", None, "an incident is not an object", item))
                continue
            found = notes(str(item.get("id"))) if notes else []
            _safely(batch, "pagerduty", item.get("id"), partial(incident_document, item, program_id, found))
        return batch
    return None


def _is_jira_page(raw: Any) -> bool:
    issues = raw.get("issues") if isinstance(raw, dict) else None
    return (
        isinstance(issues, list)
        and bool(issues)
        and all(isinstance(i, dict) and "fields" in i for i in issues)
    )


def _jira(item: dict[str, Any], program_id: str) -> Document:
    self_url = str(item.get("self", ""))  # https://{site}/rest/api/3/issue/{id}
    return jira_issue(item, program_id, self_url.split("/rest/")[0] if "/rest/" in self_url else "")


def _github(item: dict[str, Any], program_id: str) -> Document:
    parts = str(item.get("html_url", "")).split("/")  # https://github.com/{owner}/{repo}/issues/{n}
    if len(parts) < 5 or not parts[3] or not parts[4]:
        raise ValueError(f"cannot tell the repository from html_url {item.get('html_url')!r}")
    return github_issue(item, program_id, f"{parts[3]}/{parts[4]}")


def _notes_beside(path: Path) -> NotesLookup:
    def lookup(incident_id: str) -> list[dict[str, Any]]:
        notes_file = path.with_name(f"pagerduty_notes_{incident_id}.json")
        if not notes_file.is_file():
            return []
        try:
            notes = json.loads(notes_file.read_text(encoding="utf-8-sig")).get("notes", [])
        except (OSError, ValueError, AttributeError):
            return []  # unreadable notes do not lose the incident
        return notes if isinstance(notes, list) else []

    return lookup


def _safely(batch: PullBatch, source: str, external_id: object, build: Callable[[], Document]) -> None:
    try:
        batch.documents.append(build())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        batch.failures.append(failure(source, str(external_id) if external_id else None, reason))


def _add_warnings(docs: list[Document], warnings: list[str]) -> None:
    for doc in docs:
        doc.warnings.extend(w for w in warnings if w not in doc.warnings)
