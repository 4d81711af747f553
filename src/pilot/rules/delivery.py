"""Delivery signals from GitHub and Jira, as risks to the program's flow. Pure.

- CI: a workflow whose latest completed run on the default branch failed, red for longer than
  `ci_red_hours` since the first failure after its last success; and the share of completed
  default-branch runs in the period that passed (`ci_pass_target`). Cancelled, skipped and neutral
  runs neither pass nor break a red streak.
- Reviews: an open pull request (not a draft) with no review yet, waiting longer than
  `pr_review_wait_hours`; and the median time to a first review over pull requests first reviewed
  in the period (`review_turnaround_hours`).
- Tickets: tickets moved from a done status back to an open one in the period (more than
  `reopened_max` fire); a ticket blocked (a status named "Blocked"/"On hold", or flagged as an
  impediment) for longer than `blocked_days`.
Findings name repositories, workflows, pull requests and tickets: never the people on them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median

from pilot.domain.findings import Finding, KpiStatus, Severity
from pilot.domain.program import ref
from pilot.domain.signals import CiRun, Ticket, TicketChange
from pilot.rules.base import DetectorOutput, ceiling_kpi, iso, rate_finding, ratio_kpi
from pilot.rules.signals import SignalContext, signal_detector

FAILING = frozenset({"failure", "timed_out", "startup_failure"})
DONE_STATUSES = frozenset({"done", "closed", "resolved", "released", "won't do", "cancelled", "canceled"})
BLOCKED_STATUSES = ("blocked", "on hold", "impediment")


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def _local(moment: datetime, ctx: SignalContext) -> str:
    return moment.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")


@signal_detector(
    "ci", "Default-branch CI runs", rules=("delivery.ci_red", "delivery.ci_pass_rate"), kpis=("ci_pass_rate",)
)
def ci_health(ctx: SignalContext) -> DetectorOutput:
    out = DetectorOutput()
    runs = sorted(
        (
            r
            for r in ctx.signals.ci_runs
            if r.branch == r.default_branch and r.status == "completed" and r.created_at <= ctx.now
        ),
        key=lambda r: (r.created_at, r.run_id),
    )
    by_workflow: dict[tuple[str, str], list[CiRun]] = defaultdict(list)
    for run in runs:
        if run.conclusion == "success" or run.conclusion in FAILING:
            by_workflow[(run.repo, run.workflow)].append(run)
    limit = timedelta(hours=ctx.limits.ci_red_hours)
    for (repo, workflow), decisive in sorted(by_workflow.items()):
        streak = []
        for run in reversed(decisive):
            if run.conclusion == "success":
                break
            streak.append(run)
        if not streak or ctx.now - streak[-1].created_at <= limit:
            continue
        since = streak[-1].created_at
        out.findings.append(
            Finding(
                rule_id="delivery.ci_red",
                severity=Severity.WARNING,
                message=f"{workflow} on {repo}'s default branch has failed since {_local(since, ctx)} "
                f"({len(streak)} failing runs, {_hours(ctx.now - since):g} h; threshold {ctx.limits.ci_red_hours:g} h).",
                subjects=(f"workflow:{repo}/{workflow}",),
                values={
                    "repo": repo,
                    "workflow": workflow,
                    "red_since": iso(since),
                    "threshold_hours": ctx.limits.ci_red_hours,
                },
                measures={
                    "hours_red": _hours(ctx.now - since),
                    "failing_runs": len(streak),
                    "last_run": streak[0].url,
                },
                suggested_action="Ask the owning team whether the default branch is releasable; fix or revert.",
            )
        )
    recent = [
        r
        for r in runs
        if r.created_at >= ctx.period_start and (r.conclusion == "success" or r.conclusion in FAILING)
    ]
    passed = sum(1 for r in recent if r.conclusion == "success")
    kpi = ratio_kpi(
        "ci_pass_rate",
        "Default-branch CI runs passing",
        passed,
        len(recent),
        ctx.limits.ci_pass_target,
        detail=f"{passed} of {len(recent)} completed runs in {ctx.limits.period_days:g} days",
    )
    out.kpis.append(kpi)
    finding = rate_finding(
        kpi,
        "delivery.ci_pass_rate",
        f"{passed} of {len(recent)} default-branch CI runs passed",
        (ref("program", ctx.program.id),),
        {"target": ctx.limits.ci_pass_target},
    )
    if finding is not None:
        out.findings.append(finding)
    return out


@signal_detector(
    "reviews",
    "Pull requests waiting for review, and review turnaround",
    rules=("delivery.pr_waiting_review", "delivery.review_turnaround"),
    kpis=("review_turnaround_hours",),
)
def reviews(ctx: SignalContext) -> DetectorOutput:
    out = DetectorOutput()
    limit = timedelta(hours=ctx.limits.pr_review_wait_hours)
    for pr in sorted(ctx.signals.pull_requests, key=lambda p: (p.repo, p.number)):
        waiting = ctx.now - pr.created_at
        if pr.state != "open" or pr.draft or pr.first_review_at is not None or waiting <= limit:
            continue
        out.findings.append(
            Finding(
                rule_id="delivery.pr_waiting_review",
                severity=Severity.WARNING,
                message=f"Pull request {pr.repo}#{pr.number} '{pr.title}' has waited {_hours(waiting):g} h for a "
                f"first review (threshold {ctx.limits.pr_review_wait_hours:g} h).",
                subjects=(f"pr:{pr.repo}#{pr.number}",),
                values={"opened": iso(pr.created_at), "threshold_hours": ctx.limits.pr_review_wait_hours},
                measures={"hours_waiting": _hours(waiting), "url": pr.url},
                suggested_action="Find a reviewer in the owning team, or split the change.",
            )
        )
    turnaround = [
        (pr.first_review_at - pr.created_at).total_seconds() / 3600
        for pr in ctx.signals.pull_requests
        if pr.first_review_at is not None and ctx.period_start <= pr.first_review_at <= ctx.now
    ]
    value = round(median(turnaround), 1) if turnaround else None
    kpi = ceiling_kpi(
        "review_turnaround_hours",
        "Median time to a first review",
        value,
        ctx.limits.review_turnaround_hours,
        "hours",
        detail=f"{len(turnaround)} pull requests first reviewed in {ctx.limits.period_days:g} days",
    )
    out.kpis.append(kpi)
    if kpi.status == KpiStatus.BREACH and value is not None:
        out.findings.append(
            Finding(
                rule_id="delivery.review_turnaround",
                severity=Severity.WARNING,
                message=f"Pull requests waited a median {value:g} h for a first review over the last "
                f"{ctx.limits.period_days:g} days ({len(turnaround)} reviewed; target {ctx.limits.review_turnaround_hours:g} h).",
                subjects=(ref("program", ctx.program.id),),
                values={"target_hours": ctx.limits.review_turnaround_hours},
                measures={"median_hours": value, "reviewed": len(turnaround)},
            )
        )
    return out


def _done_names(tickets: list[Ticket]) -> frozenset[str]:
    seen = {t.status.lower() for t in tickets if (t.status_category or "").lower() == "done"}
    return DONE_STATUSES | seen


def _is_status(change: TicketChange) -> bool:
    return change.field.lower() == "status"


@signal_detector(
    "tickets",
    "Reopened and blocked tickets",
    rules=("delivery.tickets_reopened", "delivery.ticket_blocked"),
    kpis=("tickets_reopened",),
)
def tickets(ctx: SignalContext) -> DetectorOutput:
    out = DetectorOutput()
    done = _done_names(ctx.signals.tickets)
    changes = sorted((c for c in ctx.signals.ticket_changes if c.at <= ctx.now), key=lambda c: (c.at, c.item))
    reopened = sorted(
        {
            c.key
            for c in changes
            if _is_status(c)
            and c.at >= ctx.period_start
            and (c.from_string or "").lower() in done
            and (c.to_string or "").lower() not in done
        }
    )
    out.kpis.append(
        ceiling_kpi(
            "tickets_reopened",
            "Tickets reopened",
            float(len(reopened)),
            ctx.limits.reopened_max,
            "count",
            detail=f"moved from done back to open in {ctx.limits.period_days:g} days",
        )
    )
    if len(reopened) > ctx.limits.reopened_max:
        out.findings.append(
            Finding(
                rule_id="delivery.tickets_reopened",
                severity=Severity.WARNING,
                message=f"{len(reopened)} tickets were reopened in the last {ctx.limits.period_days:g} days "
                f"(at most {ctx.limits.reopened_max:g}): {', '.join(reopened)}.",
                subjects=tuple(f"ticket:{key}" for key in reopened),
                values={"tickets": list(reopened), "threshold": ctx.limits.reopened_max},
                suggested_action="Check the definition of done and the acceptance criteria of these tickets.",
            )
        )
    history: dict[str, list[TicketChange]] = defaultdict(list)
    for change in changes:
        history[change.key].append(change)
    limit = timedelta(days=ctx.limits.blocked_days)
    for ticket in sorted(ctx.signals.tickets, key=lambda t: t.key):
        if ticket.status.lower() in done:
            continue
        blocked = blocked_since(ticket, history.get(ticket.key, []))
        if blocked is None or ctx.now - blocked[0] <= limit:
            continue
        since, how = blocked
        days = (ctx.now - since).days
        out.findings.append(
            Finding(
                rule_id="delivery.ticket_blocked",
                severity=Severity.WARNING,
                message=f"{ticket.key} '{ticket.title}' has been blocked ({how}) since {_local(since, ctx)}, {days} days "
                f"(threshold {ctx.limits.blocked_days:g}).",
                subjects=(f"ticket:{ticket.key}",),
                values={"blocked_since": iso(since), "how": how, "threshold_days": ctx.limits.blocked_days},
                measures={"days_blocked": days, "url": ticket.url},
                suggested_action="Escalate the blocker or record it as a RAID issue with an owner.",
            )
        )
    return out


def blocked_since(ticket: Ticket, history: list[TicketChange]) -> tuple[datetime, str] | None:
    """When the ticket's current blocked state began: its move into a blocked status, or the
    flag it still carries (whichever is older); None when it is not blocked or says not since when."""
    found: list[tuple[datetime, str]] = []
    status = ticket.status.lower()
    if any(word in status for word in BLOCKED_STATUSES):
        moves = [c for c in history if _is_status(c) and (c.to_string or "").lower() == status]
        if moves:
            found.append((moves[-1].at, f"status {ticket.status}"))
    flags = [c for c in history if c.field.lower() == "flagged"]
    if flags and "impediment" in (flags[-1].to_string or "").lower():
        found.append((flags[-1].at, "flagged as an impediment"))
    return min(found) if found else None
