"""Saved GitHub and Jira answers as a delivery source: the same payloads the pulls read, from files.

A folder (or files) of JSON answers, recognised by shape:
- `GET /repos/{o}/{r}` (has `full_name` and `default_branch`): the repository's default branch;
- `GET /repos/{o}/{r}/actions/runs` (has `workflow_runs`);
- `GET /repos/{o}/{r}/pulls` (a list of objects with `number` and `base`);
- `GET /repos/{o}/{r}/pulls/{n}/reviews` (a list of objects with `submitted_at`), in a file whose
  name ends with `_reviews_<n>.json`;
- Jira `search/jql?expand=changelog` pages (has `issues`, each with `changelog`).
Other JSON is reported as a failure, not guessed at. The bundled sample ships such a folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pilot.connectors.base import failure
from pilot.connectors.delivery_batch import ITEM_ERRORS, DeliveryBatch, required_time
from pilot.connectors.github_delivery import ci_run, pull_request
from pilot.connectors.jira_changelog import history_changes, ticket_state
from pilot.domain.errors import ErrorCode, PilotError

_REVIEWS = re.compile(r"_reviews_(\d+)\.json$")


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name}: not readable JSON ({exc})") from exc


def read_delivery_files(paths: Sequence[Path], *, jira_url: str = "") -> DeliveryBatch:
    files = sorted(p for path in paths for p in ([path] if path.is_file() else path.rglob("*.json")))
    if not files:
        raise PilotError(ErrorCode.INVALID_INPUT, "no JSON answers found in " + ", ".join(map(str, paths)))
    loaded: dict[Path, Any] = {}
    batch = DeliveryBatch()
    for path in files:
        try:
            loaded[path] = _load(path)
        except ValueError as exc:
            batch.failures.append(failure("file", path.name, exc))
    branches = {
        body["full_name"]: body["default_branch"]
        for body in loaded.values()
        if isinstance(body, dict) and "full_name" in body and "default_branch" in body
    }
    first_reviews = _first_reviews(loaded)
    for path, body in loaded.items():
        if isinstance(body, dict) and "full_name" in body and "default_branch" in body:
            continue
        try:
            _read_one(path, body, batch, branches, first_reviews, jira_url)
        except ITEM_ERRORS as exc:
            batch.failures.append(failure("file", path.name, exc, body))
    return batch


def _first_reviews(loaded: dict[Path, Any]) -> dict[int, list[tuple[str | None, datetime]]]:
    reviews: dict[int, list[tuple[str | None, datetime]]] = {}
    for path, body in loaded.items():
        match = _REVIEWS.search(path.name)
        if match and isinstance(body, list):
            reviews[int(match.group(1))] = [
                ((r.get("user") or {}).get("login"), required_time(r["submitted_at"]))
                for r in body
                if r.get("submitted_at") and r.get("state") != "PENDING"
            ]
    return reviews


def _read_one(
    path: Path,
    body: Any,
    batch: DeliveryBatch,
    branches: dict[str, str],
    reviews: dict[int, list[tuple[str | None, datetime]]],
    jira_url: str,
) -> None:
    if _REVIEWS.search(path.name):
        return
    if isinstance(body, dict) and isinstance(body.get("workflow_runs"), list):
        for raw in body["workflow_runs"]:
            repo = raw["repository"]["full_name"]
            if repo not in branches:
                raise ValueError(f"no GET /repos answer gives the default branch of {repo}")
            batch.runs.append(ci_run(raw, repo, branches[repo]))
    elif isinstance(body, list) and all(isinstance(r, dict) and "number" in r and "base" in r for r in body):
        for raw in body:
            author = (raw.get("user") or {}).get("login")
            times = [at for login, at in reviews.get(int(raw["number"]), []) if login != author]
            batch.pulls.append(
                pull_request(raw, raw["base"]["repo"]["full_name"], min(times) if times else None)
            )
    elif isinstance(body, dict) and isinstance(body.get("issues"), list):
        base = jira_url or _jira_base(body)
        for raw in body["issues"]:
            batch.tickets.append(ticket_state(raw, base))
            for history in (raw.get("changelog") or {}).get("histories") or []:
                batch.changes.extend(history_changes(str(raw["key"]), history))
    else:
        raise ValueError(
            "not a GitHub runs, pulls or repository answer, nor a Jira search page with changelog"
        )


def _jira_base(body: dict[str, Any]) -> str:
    """The site an issue's `self` link points at (https://acme.atlassian.net/rest/api/3/issue/1)."""
    for raw in body.get("issues") or []:
        link = str(raw.get("self") or "")
        if "/rest/api/" in link:
            return link.split("/rest/api/")[0]
    return ""
