"""Write-back use cases: push an approved action item to Jira or GitHub (once), and tell Slack
about new findings of severity warning or above (once each). Every push is audited."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from pilot.domain.drafts import DraftKind, DraftStatus
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.findings import Severity
from pilot.pipeline.context import Pilot
from pilot.settings import Settings
from pilot.store.audit import append_event
from pilot.store.drafts import get_draft_row, to_draft
from pilot.store.findings import list_findings
from pilot.store.links import add_link, find_link, linked_refs
from pilot.store.programs import load_program
from pilot.writeback.clients import GitHubWriter, JiraWriter, SlackWebhook, mrkdwn_section

Target = Literal["jira", "github", "slack"]


class PushResult(BaseModel):
    record: str
    target: str
    external_id: str
    url: str | None
    created: bool  # False when it already existed (a repeated push)


class NotifyResult(BaseModel):
    notified: int
    finding_ids: list[int]


def jira_writer(settings: Settings) -> JiraWriter:
    if not (
        settings.jira_url and settings.jira_email and settings.jira_api_token and settings.jira_project_key
    ):
        raise PilotError(ErrorCode.NOT_CONFIGURED, "Jira write-back needs PILOT_JIRA_URL, PILOT_JIRA_EMAIL, "
                         "PILOT_JIRA_API_TOKEN and PILOT_JIRA_PROJECT_KEY")  # fmt: skip
    return JiraWriter(settings.jira_url, settings.jira_email, settings.jira_api_token.get_secret_value(),
                      settings.jira_project_key, issue_type=settings.jira_issue_type)  # fmt: skip


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
            return PushResult(record=record_ref, target=target, external_id=existing.external_id, url=existing.url,
                              created=False)  # fmt: skip
        data = load_program(session, program_id)
    action = next(a for a in data.action_items if f"action:{a.id}" == record_ref)
    owner = next((p for p in data.people if p.id == action.owner), None)
    lines = [f"From pilot, program {data.program.name} ({program_id}), record {action.id}.",
             f"Owner: {owner.name if owner else 'unassigned'}. Due: {action.due or 'not set'}."]  # fmt: skip
    evidence = (
        (draft.payload.get("evidence") or {}) if isinstance(draft.payload.get("evidence"), dict) else {}
    )
    if isinstance(evidence, dict) and evidence.get("quote"):
        lines.append(f"Said in the meeting: “{evidence['quote']}”")
    if target == "jira":
        jira = writer if isinstance(writer, JiraWriter) else jira_writer(pilot.settings)
        created = jira.create(summary=action.task, description=lines, label=f"pilot-{action.id.lower()}",
                              due=action.due.isoformat() if action.due else None,
                              assignee_email=owner.email if owner else None)  # fmt: skip
    else:
        github = writer if isinstance(writer, GitHubWriter) else github_writer(pilot.settings)
        handle = next((a.lstrip("@") for a in (owner.aliases if owner else []) if a.startswith("@")), None)
        created = github.create(title=action.task, body="\n\n".join(lines), assignee=handle)
    with pilot.db.transaction() as session:
        if find_link(session, program_id, record_ref, target) is None:
            add_link(session, program_id, record_ref, target, created.external_id, created.url, pilot.now())
            append_event(session, actor=pilot.actor, action=f"writeback.{target}", program_id=program_id,
                         subject=record_ref, before=None, after={"external_id": created.external_id, "url": created.url},
                         at=pilot.now())  # fmt: skip
    return PushResult(record=record_ref, target=target, external_id=created.external_id, url=created.url,
                      created=not created.existed)  # fmt: skip


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
                record=record_ref, target="slack", external_id=existing.external_id, url=None, created=False
            )
    status = StatusDraft.model_validate(draft.payload)
    text = to_slack(status)
    blocks = [mrkdwn_section(part) for part in text.split("\n\n") if part.strip()][:45]
    (webhook or slack_webhook(pilot.settings)).post(
        f"{status.fact_sheet.program_name}: {status.headline}", blocks
    )
    with pilot.db.transaction() as session:
        add_link(session, program_id, record_ref, "slack", f"status-{draft_id}", None, pilot.now())
        append_event(session, actor=pilot.actor, action="writeback.slack", program_id=program_id, subject=record_ref,
                     before=None, after={"audience": status.audience, "colour": status.colour.value}, at=pilot.now())  # fmt: skip
    return PushResult(
        record=record_ref, target="slack", external_id=f"status-{draft_id}", url=None, created=True
    )


def notify_findings(pilot: Pilot, program_id: str, *, webhook: SlackWebhook | None = None) -> NotifyResult:
    """One Slack message per new active finding of severity warning or above, never twice."""
    with pilot.db.transaction() as session:
        data = load_program(session, program_id)
        done = linked_refs(session, program_id, "slack")
        fresh = [f for f in list_findings(session, program_id)
                 if f.active and f.finding.severity.rank >= Severity.WARNING.rank and f"finding:{f.id}" not in done]  # fmt: skip
    if not fresh:
        return NotifyResult(notified=0, finding_ids=[])
    hook = webhook or slack_webhook(pilot.settings)
    sent: list[int] = []
    for stored in fresh:
        f = stored.finding
        icon = ":red_circle:" if f.severity == Severity.ERROR else ":large_orange_circle:"
        text = f"{icon} *{data.program.name}* · `{f.rule_id}`\n{f.message}"
        hook.post(f"[{program_id}] {f.message}", [mrkdwn_section(text)])
        with pilot.db.transaction() as session:
            add_link(
                session,
                program_id,
                f"finding:{stored.id}",
                "slack",
                f"finding-{stored.id}",
                None,
                pilot.now(),
            )
            append_event(session, actor=pilot.actor, action="writeback.slack", program_id=program_id,
                         subject=f"finding:{stored.id}", before=None, after={"rule": f.rule_id}, at=pilot.now())  # fmt: skip
        sent.append(stored.id)
    return NotifyResult(notified=len(sent), finding_ids=sent)
