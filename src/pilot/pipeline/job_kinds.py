"""The short job kinds: anomaly scan, bulk approval, write-back push and Slack notification.

Each is safe to run again after an interruption: a scan reconciles findings by key; a bulk
approval approves each draft in its own transaction and skips the decided ones; a push looks for
the record's stored link before creating anything; a notification skips findings already linked
to a Slack message. (Extraction, source sync and indexing are registered in their own modules.)
"""

from __future__ import annotations

from typing import Any

from pilot.pipeline.anomalies import scan_program
from pilot.pipeline.context import Pilot
from pilot.pipeline.jobs import Progress, register_job
from pilot.pipeline.review import bulk_approve
from pilot.pipeline.writeback import notify_findings, push_approved

SCAN_JOB = "scan"
APPROVE_JOB = "approve"
PUSH_JOB = "push"
NOTIFY_JOB = "notify"


@register_job(SCAN_JOB)
def _scan(pilot: Pilot, params: dict[str, Any], _progress: Progress) -> dict[str, Any]:
    return scan_program(pilot, params["program_id"]).model_dump(mode="json")


@register_job(APPROVE_JOB)
def _approve(pilot: Pilot, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    draft_ids = params.get("draft_ids")
    return bulk_approve(pilot, params["program_id"], draft_ids, progress=progress).model_dump(mode="json")


@register_job(PUSH_JOB)
def _push(pilot: Pilot, params: dict[str, Any], _progress: Progress) -> dict[str, Any]:
    return push_approved(pilot, params["program_id"], params["draft_id"], params["target"]).model_dump(
        mode="json"
    )


@register_job(NOTIFY_JOB)
def _notify(pilot: Pilot, params: dict[str, Any], _progress: Progress) -> dict[str, Any]:
    return notify_findings(pilot, params["program_id"]).model_dump(mode="json")
