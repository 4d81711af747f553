"""Operational quality detectors: postmortem corrective actions and incidents caused by releases,
plus the configuration check on threshold overrides."""

from __future__ import annotations

from pilot.domain.findings import Finding, Severity
from pilot.domain.program import ref
from pilot.rules.base import (
    ClosureTally,
    DetectorOutput,
    ScanContext,
    ceiling_kpi,
    detector,
    iso,
)
from pilot.rules.calendar import local_date


@detector(
    "corrective_actions",
    "Postmortem corrective actions closed on time",
    rules=("corrective.closure_rate", "corrective.overdue"),
    kpis=("corrective_on_time_rate",),
)
def corrective_actions(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    tally = ClosureTally()
    for action in ctx.data.corrective_actions:
        subject = ref("corrective", action.id)
        if action.due > ctx.today:
            continue
        closed_on_time = action.done_on is not None and action.done_on <= action.due
        tally.count(subject, on_time=closed_on_time)
        if action.done_on is None:
            out.findings.append(
                Finding(
                    rule_id="corrective.overdue",
                    severity=Severity.WARNING,
                    message=f"Corrective action {action.id} '{action.title}'"
                    f"{' (from ' + action.incident + ')' if action.incident else ''} was due {action.due}.",
                    subjects=(subject, *((ref("incident", action.incident),) if action.incident else ())),
                    values={"due": iso(action.due), "owner": action.owner},
                    measures={"days_overdue": (ctx.today - action.due).days},
                )
            )
    tally.report(
        out,
        "corrective_on_time_rate",
        "Corrective actions closed on time",
        "corrective.closure_rate",
        target=ctx.limits.corrective_on_time_target,
        detail="corrective actions",
        sentence="corrective actions closed on time",
    )
    return out


@detector(
    "release_incidents",
    "Sev1 incidents attributed to a release",
    rules=("incident.sev1_release",),
    kpis=("sev1_release_incidents",),
)
def release_incidents(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    sev1 = [i for i in ctx.data.incidents if i.severity == 1 and i.release is not None]
    for incident in sev1:
        assert incident.release is not None
        out.findings.append(
            Finding(
                rule_id="incident.sev1_release",
                severity=Severity.ERROR,
                message=f"Sev1 {incident.id} '{incident.title}' on "
                f"{local_date(incident.started_at, ctx.tz)} is attributed to release {incident.release}.",
                subjects=(ref("incident", incident.id), ref("milestone", incident.release)),
                values={
                    "release": incident.release,
                    "started_at": iso(incident.started_at),
                    "service": incident.service,
                },
                suggested_action="Confirm the postmortem's corrective actions gate the next release.",
            )
        )
    out.kpis.append(
        ceiling_kpi(
            "sev1_release_incidents",
            "Sev1 incidents attributed to a release",
            float(len(sev1)),
            ctx.limits.sev1_release_max,
            "count",
        )
    )
    return out


@detector("configuration", "Threshold overrides that name no threshold", rules=("config.unknown_threshold",))
def configuration(ctx: ScanContext) -> DetectorOutput:
    out = DetectorOutput()
    for key in ctx.unknown_overrides:
        out.findings.append(
            Finding(
                rule_id="config.unknown_threshold",
                severity=Severity.WARNING,
                message=f"Threshold override '{key}' is not a known threshold and was ignored.",
                subjects=(ref("program", ctx.data.program.id),),
                values={"key": key},
            )
        )
    return out
