"""Answer "what if DEP-4 slips a week?" from the plan graph, on a copy: no program data changes.
`pipeline.ask.ask` routes what-if questions here before reading them as record queries.
"""

from __future__ import annotations

from datetime import date, datetime

from pilot.domain.answers import Answer, AnswerRow
from pilot.domain.program import Dependency, Milestone, ProgramData, ref
from pilot.domain.schedule import SlipPropagation
from pilot.pipeline.context import Pilot
from pilot.rules.calendar import local_date, zone
from pilot.rules.schedule_graph import Workdays, standing_forecast
from pilot.rules.slips import days, slip_record
from pilot.rules.whatif import WhatIf, parse_what_if
from pilot.store.programs import load_program


def what_if_answer(data: ProgramData, question: str, now: datetime) -> Answer | None:
    """The answer to a what-if question about one of the program's milestones or dependencies, or
    None when the question is no what-if (the caller then answers it its usual way)."""
    listed: list[Milestone | Dependency] = [*data.milestones, *data.dependencies]
    records = {r.id: r for r in listed}
    asked = parse_what_if(question, records)
    if asked is None:
        return None
    today = local_date(now, zone(data.program.timezone))
    slip = _slip_days(asked, data, today)
    propagation = slip_record(data, today, asked.record_id, slip)
    return Answer(
        program_id=data.program.id,
        question=question,
        kind="structured",
        text=_text(propagation),
        as_of=today,
        sources=["records"],
        rows=[
            AnswerRow(
                record_ref=ref(step.kind, step.id),
                text=f"{step.id} {step.name}: moves {days(step.slip_days)}, from {step.old_finish} to "
                f"{step.new_finish} (target {step.target})",
            )
            for step in propagation.steps
        ],
        intent={
            "what_if": {
                "record": asked.record_id,
                "slip_business_days": slip,
                "new_date": asked.new_date.isoformat() if asked.new_date else None,
            }
        },
    )


def answer_what_if(
    pilot: Pilot, program_id: str, question: str, *, now: datetime | None = None
) -> Answer | None:
    with pilot.db.transaction() as session:
        data = load_program(session, program_id)
    return what_if_answer(data, question, now or pilot.now())


def _slip_days(asked: WhatIf, data: ProgramData, today: date) -> int:
    if asked.slip_days is not None or asked.new_date is None:
        return asked.slip_days or 0
    records: list[Milestone | Dependency] = [*data.milestones, *data.dependencies]
    record = next(r for r in records if r.id == asked.record_id)
    workdays = Workdays(today, data.program.holidays)
    return workdays.offset_of(asked.new_date) - workdays.offset_of(standing_forecast(record, today))


def _text(p: SlipPropagation) -> str:
    parts = [p.summary.rstrip(".") + "."]
    if p.absorbed_by:
        parts.append(f"Slack absorbs it at {', '.join(p.absorbed_by)}.")
    if p.finish_after != p.finish_before:
        parts.append(f"The plan ends {p.finish_after} instead of {p.finish_before}.")
    if p.critical_after != p.critical_before:
        parts.append(f"The critical path becomes {' -> '.join(p.critical_after)}.")
    parts.append("Computed on a copy of the plan: nothing was changed.")
    return " ".join(parts)
