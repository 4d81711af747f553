"""Write-back use cases: push an approved action item to Jira or GitHub (once), and tell Slack
about new findings of severity warning or above (once each). Every push is audited."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from pilot.domain.drafts import DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Severity
from pilot.domain.urls import LinkUrl
from pilot.pipeline.context import Pilot
from pilot.review.drafts import stored_payload
from pilot.settings import Settings
from pilot.store.audit import append_event
from pilot.store.drafts import get_draft_row, to_draft
from pilot.store.findings import list_findings
from pilot.store.links import add_link, find_link, linked_refs
from pilot.store.programs import load_program
from pilot.writeback.clients import GitHubWriter, JiraWriter, SlackWebhook, mrkdwn_section, slack_unconfirmed

# A Slack post whose fate is unknown is linked under this prefix: never re-sent automatically, and
# listed for a human to check the channel (a webhook cannot be searched).
UNCONFIRMED = "unconfirmed:"

Target = Literal["jira", "github", "slack"]


class PushResult(BaseModel):
    record: str
    target: str
    external_id: str
    url: LinkUrl
    created: bool  # False when it already existed (a repeated push)
    confirmed: bool = True  # False: Slack may or may not have posted it; a human must check


class NotifyResult(BaseModel):
    notified: int
    finding_ids: list[int]
    unconfirmed_ids: list[int] = []  # Slack may or may not have posted these; not sent again


def jira_writer(settings: Settings) -> JiraWriter:
    if not (
        settings.jira_url and settings.jira_email and settings.jira_api_token and settings.jira_project_key
    ):
        raise PilotError(
            ErrorCode.NOT_CONFIGURED,
            "Jira write-back needs PILOT_JIRA_URL, PILOT_JIRA_EMAIL, "
            "PILOT_JIRA_API_TOKEN and PILOT_JIRA_PROJECT_KEY",
        )
    return JiraWriter(
        settings.jira_url,
        settings.jira_email,
        settings.jira_api_token.get_secret_value(),
        settings.jira_project_key,
        issue_type=settings.jira_issue_type,
    )


def github_writer(settings: Settings) -> GitHubWriter:
    if not (settings.github_repo and settings.github_token):
        raise PilotError(
            ErrorCode.NOT_CONFIGURED, "GitHub write-back needs PILOT_GITHUB_REPO and PILOT_GITHUB_TOKEN"
        )
    return GitHubWriter(
        settings.github_repo, settings.github_token.get_secret_value(), api_url=settings.github_api_url
    )


def slack_webhook(settings: Settings) -> SlackWebhook:
    if not settings.slack_webhook_url:
        raise PilotError(
            ErrorCode.NOT_CONFIGURED, "Slack needs PILOT_SLACK_WEBHOOK_URL (an incoming webhook)"
        )
    return SlackWebhook(settings.slack_webhook_url.get_secret_value())


def push_approved(
    pilot: Pilot,
    program_id: str,
    draft_id: str,
    target: Target,
    *,
    writer: JiraWriter | GitHubWriter | None = None,
    webhook: SlackWebhook | None = None,
) -> PushResult:
    if target == "slack":
        return push_status_to_slack(pilot, program_id, draft_id, webhook=webhook)
    with pilot.db.transaction() as session:
        row = get_draft_row(session, program_id, draft_id)
        draft = to_draft(row)
        if draft.status != DraftStatus.APPROVED or not row.record_ref:
            raise PilotError(ErrorCode.CONFLICT, "only approved drafts are written back; approve it first")
        if draft.kind != DraftKind.ACTION_ITEM:
            raise PilotError(
                ErrorCode.INVALID_INPUT, f"{draft.kind.value} drafts are not written back as issues"
            )
        record_ref = row.record_ref
        existing = find_link(session, program_id, record_ref, target)
        if existing is not None:
            return PushResult(
                record=record_ref,
                target=target,
                external_id=existing.external_id,
                url=existing.url,
                created=False,
            )
        data = load_program(session, program_id)
    action = next(a for a in data.action_items if f"action:{a.id}" == record_ref)
    owner = next((p for p in data.people if p.id == action.owner), None)
    lines = [
        f"From pilot, program {data.program.name} ({program_id}), record {action.id}.",
        f"Owner: {owner.name if owner else 'unassigned'}. Due: {action.due or 'not set'}.",
    ]
    evidence = (
        (draft.payload.get("evidence") or {}) if isinstance(draft.payload.get("evidence"), dict) else {}
    )
    if isinstance(evidence, dict) and evidence.get("quote"):
        lines.append(f"Said in the meeting: “{evidence['quote']}”")
    label = f"pilot-{action.id.lower()}"
    if target == "jira":
        jira = writer if isinstance(writer, JiraWriter) else jira_writer(pilot.settings)
        created = jira.create(
            summary=action.task,
            description=lines,
            label=label,
            due=action.due.isoformat() if action.due else None,
            assignee_email=owner.email if owner else None,
        )
    else:
        github = writer if isinstance(writer, GitHubWriter) else github_writer(pilot.settings)
        handle = next((a.lstrip("@") for a in (owner.aliases if owner else []) if a.startswith("@")), None)
        created = github.create(title=action.task, body="\n\n".join(lines), assignee=handle, label=label)
    with pilot.db.transaction() as session:
        if find_link(session, program_id, record_ref, target) is None:
            add_link(session, program_id, record_ref, target, created.external_id, created.url, pilot.now())
            append_event(
                session,
                actor=pilot.actor,
                action=f"writeback.{target}",
                program_id=program_id,
                subject=record_ref,
                before=None,
                after={"external_id": created.external_id, "url": created.url},
                at=pilot.now(),
            )
    return PushResult(
        record=record_ref,
        target=target,
        external_id=created.external_id,
        url=created.url,
        created=not created.existed,
    )


def push_status_to_slack(
    pilot: Pilot, program_id: str, draft_id: str, *, webhook: SlackWebhook | None = None
) -> PushResult:
    """An approved status update to the Slack webhook, once."""
    from pilot.chains.status import to_slack
    from pilot.domain.status import StatusDraft

    with pilot.db.transaction() as session:
        row = get_draft_row(session, program_id, draft_id)
        draft = to_draft(row)
        if (
            draft.kind != DraftKind.STATUS_UPDATE
            or draft.status != DraftStatus.APPROVED
            or not row.record_ref
        ):
            raise PilotError(ErrorCode.CONFLICT, "only an approved status update goes to Slack")
        record_ref = row.record_ref
        existing = find_link(session, program_id, record_ref, "slack")
        if existing is not None:
            return PushResult(
                record=record_ref,
                target="slack",
                external_id=existing.external_id,
                url=None,
                created=False,
                confirmed=not existing.external_id.startswith(UNCONFIRMED),
            )
    status = stored_payload(draft, StatusDraft)
    text = to_slack(status)
    blocks = [mrkdwn_section(part) for part in text.split("\n\n") if part.strip()][:45]
    hook = webhook or slack_webhook(pilot.settings)
    confirmed = (
        slack_unconfirmed(lambda: hook.post(f"{status.fact_sheet.program_name}: {status.headline}", blocks))
        is None
    )
    external_id = f"status-{draft_id}" if confirmed else f"{UNCONFIRMED}status-{draft_id}"
    after = {"audience": status.audience, "colour": status.colour.value}
    _record_slack(pilot, program_id, record_ref, external_id, after)
    return PushResult(
        record=record_ref,
        target="slack",
        external_id=external_id,
        url=None,
        created=confirmed,
        confirmed=confirmed,
    )


def _record_slack(
    pilot: Pilot, program_id: str, record_ref: str, external_id: str, after: dict[str, Any]
) -> None:
    """Link and audit one Slack post; an unconfirmed one is audited as such, for a human to check."""
    action = "writeback.slack.unconfirmed" if external_id.startswith(UNCONFIRMED) else "writeback.slack"
    with pilot.db.transaction() as session:
        add_link(session, program_id, record_ref, "slack", external_id, None, pilot.now())
        append_event(
            session,
            actor=pilot.actor,
            action=action,
            program_id=program_id,
            subject=record_ref,
            before=None,
            after=after,
            at=pilot.now(),
        )


def notify_findings(pilot: Pilot, program_id: str, *, webhook: SlackWebhook | None = None) -> NotifyResult:
    """One Slack message per new active finding of severity warning or above, never twice."""
    with pilot.db.transaction() as session:
        data = load_program(session, program_id)
        done = linked_refs(session, program_id, "slack")
        fresh = [
            f
            for f in list_findings(session, program_id)
            if f.active and f.finding.severity.rank >= Severity.WARNING.rank and f"finding:{f.id}" not in done
        ]
    if not fresh:
        return NotifyResult(notified=0, finding_ids=[])
    hook = webhook or slack_webhook(pilot.settings)
    sent: list[int] = []
    for stored in fresh:
        f = stored.finding
        icon = ":red_circle:" if f.severity == Severity.ERROR else ":large_orange_circle:"
        text = f"{icon} *{data.program.name}* · `{f.rule_id}`\n{f.message}"
        unknown = slack_unconfirmed(lambda: hook.post(f"[{program_id}] {f.message}", [mrkdwn_section(text)]))  # noqa: B023 - called at once
        external_id = f"finding-{stored.id}" if unknown is None else f"{UNCONFIRMED}finding-{stored.id}"
        _record_slack(pilot, program_id, f"finding:{stored.id}", external_id, {"rule": f.rule_id})
        if unknown is not None:  # Slack is in trouble: stop here, a human checks the channel
            return NotifyResult(notified=len(sent), finding_ids=sent, unconfirmed_ids=[stored.id])
        sent.append(stored.id)
    return NotifyResult(notified=len(sent), finding_ids=sent)
