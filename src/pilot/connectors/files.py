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

TEXT_SUFFIXES = frozenset(
    {".vtt", ".srt", ".sbv", ".txt", ".md", ".markdown", ".json", ".jsonl", ".ndjson", ".csv"}
)
# Files in a folder that are not material: documentation of the folder, incident notes (read
# with their incident, not as documents of their own), and saved GitHub/Jira delivery answers
# (read by `pilot delivery import`, not as documents).
SKIPPED_PREFIXES = ("readme", "pagerduty_notes_", "delivery_")
NotesLookup = Callable[[str], list[dict[str, Any]]]


def named_files(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """Files named, plus the material files under folders named (hidden folders skipped), each
    with its name in pilot: a file named directly is its file name, a file found in a folder is
    that folder's name and its path inside it (`notes/2026-11/standup.md`). The name does not
    depend on where the folder sits on this machine, so the same folder ingested from another
    machine or checkout is the same documents. A path that does not exist is an error before
    anything is read."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise PilotError(ErrorCode.INVALID_INPUT, f"no such file or folder: {', '.join(missing)}")
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            folder = path.resolve().name or "root"
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if (
                    child.is_file()
                    and child.suffix.lower() in TEXT_SUFFIXES
                    and not child.name.lower().startswith(SKIPPED_PREFIXES)
                    and not any(part.startswith(".") for part in relative)
                ):
                    found.append((child, "/".join((folder, *relative))))
        else:
            found.append((path, path.name))
    unique: dict[Path, tuple[Path, str]] = {}
    for path, name in found:
        unique.setdefault(path.resolve(), (path, name))
    return list(unique.values())


def iter_files(paths: Sequence[Path]) -> list[Path]:
    return [path for path, _ in named_files(paths)]


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
    doc = parse_transcript(
        data,
        filename=filename,
        program_id=program_id,
        meeting_date=meeting_date,
        source=source,
        external_id=external_id or filename,
        max_bytes=max_bytes,
    )
    return PullBatch(documents=[doc])


def read_path(
    path: Path,
    program_id: str,
    *,
    name: str | None = None,
    meeting_date: date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tz: tzinfo = UTC,
) -> PullBatch:
    """A file on disk; its external id is its name in pilot (see `named_files`; default: the file
    name), so re-reading it is an update. `previous_ids` maps it to the id earlier versions gave
    it (the absolute path on the machine that ingested it), so those documents are adopted."""
    size = path.stat().st_size
    if size > max_bytes:  # refused before reading a byte of it
        raise PilotError(
            ErrorCode.INVALID_INPUT,
            f"{path.name}: {size / 1048576:.1f} MB is larger than the {max_bytes / 1048576:.0f} MB limit",
            details={"bytes": size, "limit": max_bytes},
        )
    external_id = name or path.name
    batch = read_bytes(
        path.read_bytes(),
        path.name,
        program_id,
        meeting_date=meeting_date,
        max_bytes=max_bytes,
        external_id=external_id,
        notes=_notes_beside(path),
        tz=tz,
    )
    legacy = str(path.resolve())
    batch.previous_ids = {
        doc.external_id: legacy for doc in batch.documents if doc.external_id == external_id
    }
    return batch


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
        self.named = named_files(paths)
        self.files = [path for path, _ in self.named]
        self.meeting_date = meeting_date
        self.max_bytes = max_bytes
        self.tz = tz

    def pull(self, program_id: str, cursor: str | None) -> Iterator[PullBatch]:
        for path, name in self.named:
            try:
                batch = read_path(
                    path,
                    program_id,
                    name=name,
                    meeting_date=self.meeting_date,
                    max_bytes=self.max_bytes,
                    tz=self.tz,
                )
            except PilotError as exc:
                batch = PullBatch(failures=[failure("file", name, exc.message)])
            except OSError as exc:
                batch = PullBatch(failures=[failure("file", name, f"cannot read: {exc.strerror or exc}")])
            batch.cursor = name
            yield batch

    def census(self, program_id: str) -> set[str] | None:
        return None


def export_documents(raw: Any, program_id: str, *, notes: NotesLookup | None = None) -> PullBatch | None:
    """A saved API response, recognized by its shape; None when it is not one (a JSON transcript).
    A malformed record inside a recognized export is a failure of its own; the rest are kept."""
    batch = PullBatch()
    issues = _jira_issues(raw)
    if issues is not None:
        for item in issues:
            key = item.get("key") if isinstance(item, dict) else None
            _safely(batch, "jira", key, partial(_jira, item, program_id))
        return batch
    github = _github_issues(raw)
    if github is not None:
        for item in github:
            number = item.get("number") if isinstance(item, dict) else None
            _safely(batch, "github", number, partial(_github, item, program_id))
        return batch
    incidents = _incidents(raw)
    if incidents is not None:
        for item in incidents:
            if not isinstance(item, dict):
                batch.failures.append(failure("pagerduty", None, "an incident is not an object", item))
                continue
            found = notes(str(item.get("id"))) if notes else []
            _safely(batch, "pagerduty", item.get("id"), partial(incident_document, item, program_id, found))
        return batch
    return None


def _mostly(items: list[Any], looks: Callable[[Any], bool]) -> bool:
    """An export when most records have the shape (one broken record does not hide the rest)."""
    hits = sum(1 for i in items if isinstance(i, dict) and looks(i))
    return bool(items) and hits >= max(1, len(items) / 2)


def _jira_issues(raw: Any) -> list[Any] | None:
    """A search page (`{"issues": [...]}`) or one issue saved from "Get issue" (`key` + `fields`)."""
    if isinstance(raw, dict) and isinstance(raw.get("key"), str) and isinstance(raw.get("fields"), dict):
        return [raw]
    issues = raw.get("issues") if isinstance(raw, dict) else None
    if isinstance(issues, list) and _mostly(issues, lambda i: "fields" in i):
        return issues
    return None


def _is_github_issue(item: dict[str, Any]) -> bool:
    return "number" in item and ("html_url" in item or "repository_url" in item) and "title" in item


def _github_issues(raw: Any) -> list[Any] | None:
    """The issues list, a saved `/search/issues` answer (`{"total_count", "items"}`), or one issue."""
    if isinstance(raw, dict) and isinstance(raw.get("items"), list) and "total_count" in raw:
        raw = raw["items"]
    elif isinstance(raw, dict) and _is_github_issue(raw):
        return [raw]
    if isinstance(raw, list) and _mostly(raw, _is_github_issue):
        return raw
    return None


def _incidents(raw: Any) -> list[Any] | None:
    """A `/incidents` page, or one incident saved from `/incidents/{id}` (`{"incident": {...}}`)."""
    if not isinstance(raw, dict):
        return None
    if isinstance(raw.get("incidents"), list):
        return list(raw["incidents"])
    if isinstance(raw.get("incident"), dict) and "id" in raw["incident"]:
        return [raw["incident"]]
    return None


def _jira(item: dict[str, Any], program_id: str) -> Document:
    self_url = str(item.get("self", ""))  # https://{site}/rest/api/3/issue/{id}
    return jira_issue(item, program_id, self_url.split("/rest/")[0] if "/rest/" in self_url else "")


def _github(item: dict[str, Any], program_id: str) -> Document:
    # https://github.com/{owner}/{repo}/issues/{n}, or the API's https://api.github.com/repos/{owner}/{repo}
    html_url = item.get("html_url")
    if html_url is None:  # some saved answers leave it out: the web address follows from the API's
        api = str(item.get("repository_url") or "").split("/repos/")
        if len(api) == 2 and api[1].count("/") == 1:
            host = api[0].replace("://api.github.com", "://github.com").removesuffix("/api/v3")
            web = f"{host}/{api[1]}/issues/{item.get('number')}"
            return github_issue({**item, "html_url": web}, program_id, api[1])
    parts = str(html_url or "").split("/")
    if len(parts) < 5 or not parts[2] or not parts[3] or not parts[4]:
        raise ValueError(f"cannot tell the repository from html_url {html_url!r}")
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
