"""Ask about a program. Structured questions (risks, decisions, milestones, dependencies, action
items by owner, age, status or date) are answered from program data through the deterministic
intent parser; open questions by hybrid retrieval, with an LLM answer when one is configured and
an extractive one (the best passages) otherwise. Every citation is checked against what was
retrieved, and nothing is read outside the asking program."""

from __future__ import annotations

from datetime import datetime, timedelta

from pilot.domain.answers import Answer, AnswerRow, Citation, CitedAnswer, IntentCandidate
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import (
    ActionStatus,
    DecisionStatus,
    DependencyStatus,
    MilestoneStatus,
    ProgramData,
    RaidKind,
)
from pilot.index import Hit
from pilot.pipeline.context import Pilot
from pilot.pipeline.search import search_program
from pilot.rules.calendar import local_date, zone
from pilot.rules.citations import check_citations
from pilot.rules.intents import Intent, parse_intent
from pilot.rules.people import PeopleDirectory
from pilot.store.programs import load_program

MAX_QUESTION = 1000


def ask(
    pilot: Pilot, program_id: str, question: str, *, now: datetime | None = None, use_llm: bool | None = None
) -> Answer:
    question = question.strip()
    if not question or len(question) > MAX_QUESTION:
        raise PilotError(ErrorCode.INVALID_INPUT, f"ask a question of 1 to {MAX_QUESTION} characters")
    with pilot.db.transaction() as session:
        data = load_program(session, program_id)
    llm_wanted = pilot.settings.llm_configured if use_llm is None else use_llm
    intent = llm_intent(pilot, question) if llm_wanted else parse_intent(question)
    if intent is not None:
        answer = structured_answer(data, question, intent, now or pilot.now())
        if answer.rows:
            return answer
    return retrieval_answer(pilot, program_id, question, use_llm=llm_wanted)


def llm_intent(pilot: Pilot, question: str) -> Intent | None:
    """The LLM's structured reading of the question; the deterministic parser when the call fails."""
    from pilot.chains.llm_openai import build_llm
    from pilot.chains.prompts import load_prompt

    result = build_llm(pilot.settings).invoke(
        load_prompt("ask/intent").render({"question": question}), IntentCandidate
    )
    parsed = result.parsed
    if parsed is None:
        return parse_intent(question)
    if parsed.record is None:
        return None
    return Intent(record=parsed.record, owner=parsed.owner, status=parsed.status, older_than_days=parsed.older_than_days,
                  due_within_days=parsed.due_within_days)  # fmt: skip


def structured_answer(data: ProgramData, question: str, intent: Intent, now: datetime) -> Answer:
    today = local_date(now, zone(data.program.timezone))
    people = PeopleDirectory(data.people)
    owner_id: str | None = None
    if intent.owner:
        match = people.resolve(intent.owner)
        owner_id = match.person_id
    names = {p.id: p.name for p in data.people}
    rows: list[AnswerRow] = []

    def add(ref: str, text: str) -> None:
        rows.append(AnswerRow(record_ref=ref, text=text))

    if intent.record in ("risks", "issues"):
        kind = RaidKind.RISK if intent.record == "risks" else RaidKind.ISSUE
        for r in sorted(data.raid, key=lambda r: -r.exposure):
            if (
                r.kind != kind
                or (intent.status in ("open", "any", "pending") and not r.is_open)
                or (intent.status == "done" and r.is_open)
            ):
                continue
            if owner_id and r.owner != owner_id:
                continue
            age = (now - (r.last_progress_at or r.opened_at)).days
            if intent.older_than_days is not None and age <= intent.older_than_days:
                continue
            add(f"raid:{r.id}", f"{r.id} {r.title} (owner {names.get(r.owner or '', 'none')}, exposure {r.exposure}, "
                                f"{age} days since progress)")  # fmt: skip
    elif intent.record == "decisions":
        for d in sorted(data.decisions, key=lambda d: d.requested_at):
            wanted = {
                "pending": DecisionStatus.PENDING,
                "open": DecisionStatus.PENDING,
                "done": DecisionStatus.DECIDED,
            }.get(intent.status)
            if (wanted and d.status != wanted) or (owner_id and d.decider != owner_id):
                continue
            add(f"decision:{d.id}", f"{d.id} {d.question} ({d.status.value}; decider {names.get(d.decider or '', 'none')}"
                                    f"{'; needed by ' + str(d.needed_by) if d.needed_by else ''})")  # fmt: skip
    elif intent.record == "milestones":
        for m in sorted(data.milestones, key=lambda m: m.target_date):
            slip = (m.current_forecast - m.target_date).days
            if intent.status == "late" and not (slip > 0 and m.status != MilestoneStatus.DONE):
                continue
            if intent.status == "done" and m.status != MilestoneStatus.DONE:
                continue
            if owner_id and m.owner != owner_id:
                continue
            add(f"milestone:{m.id}", f"{m.id} {m.name}: target {m.target_date}, forecast {m.current_forecast}"
                                     f"{f' ({slip} days late)' if slip > 0 else ''}, {m.status.value}")  # fmt: skip
    elif intent.record == "dependencies":
        horizon = today + timedelta(days=intent.due_within_days or 3650)
        for dep in sorted(data.dependencies, key=lambda x: x.due_date):
            risky = dep.status in (DependencyStatus.AT_RISK, DependencyStatus.BLOCKED) or (
                dep.status != DependencyStatus.DELIVERED and dep.due_date < today
            )
            if intent.status in ("at_risk", "late", "overdue") and not risky:
                continue
            if dep.due_date > horizon or (owner_id and dep.owner != owner_id):
                continue
            add(
                f"dependency:{dep.id}",
                f"{dep.id} {dep.deliverable} ({dep.provider_team} to {dep.consumer_team}): {dep.status.value}, due {dep.due_date}",
            )
    elif intent.record == "actions":
        for a in sorted(data.action_items, key=lambda a: (a.due or today, a.id)):
            if intent.status in ("open", "overdue", "late", "pending") and a.status != ActionStatus.OPEN:
                continue
            if intent.status in ("overdue", "late") and not (a.due and a.due < today):
                continue
            if owner_id and a.owner != owner_id:
                continue
            add(
                f"action:{a.id}",
                f"{a.id} {a.task} (owner {names.get(a.owner or '', 'none')}, due {a.due or 'not set'}, {a.status.value})",
            )
    who = f" for {names.get(owner_id or '', intent.owner)}" if intent.owner else ""
    label = intent.record if intent.status == "any" else f"{intent.status.replace('_', ' ')} {intent.record}"
    text = f"{len(rows)} {label}{who}." if rows else f"No {label}{who} in the program data."
    citations = [
        Citation(record_ref=r.record_ref, title=r.record_ref, quote=r.text, verified=True) for r in rows
    ]
    return Answer(program_id=data.program.id, question=question, kind="structured", text=text, rows=rows,
                  citations=citations, intent={k: v for k, v in intent.__dict__.items() if k != "words"})  # fmt: skip


def retrieval_answer(pilot: Pilot, program_id: str, question: str, *, use_llm: bool) -> Answer:
    hits = search_program(pilot, program_id, question, k=8)
    retrieved = {
        h.document_key: "\n".join(x.text for x in hits if x.document_key == h.document_key) for h in hits
    }
    if not hits:
        return Answer(
            program_id=program_id,
            question=question,
            kind="retrieval",
            text="Nothing in this program's documents matches the question.",
        )
    if use_llm:
        return _llm_answer(pilot, program_id, question, hits, retrieved)
    citations = [_citation(h) for h in hits[:5]]
    kept, findings = check_citations(citations, retrieved)
    top = hits[0].text.split("\n")
    return Answer(program_id=program_id, question=question, kind="retrieval", engine="offline",
                  text=" ".join(top)[:600], citations=kept, findings=findings)  # fmt: skip


def _citation(hit: Hit) -> Citation:
    meta = hit.metadata
    return Citation(document_key=hit.document_key, title=str(meta.get("title") or hit.document_key), quote=hit.text[:400],
                    url=str(meta["url"]) if meta.get("url") else None,
                    turn=int(meta["turn_first"]) if "turn_first" in meta else None)  # fmt: skip


def _llm_answer(
    pilot: Pilot, program_id: str, question: str, hits: list[Hit], retrieved: dict[str, str]
) -> Answer:
    from pilot.chains.llm_openai import build_llm
    from pilot.chains.prompts import load_prompt

    passages = [{"title": str(h.metadata.get("title") or h.document_key), "text": h.text} for h in hits]
    result = build_llm(pilot.settings).invoke(
        load_prompt("ask/answer").render({"question": question, "passages": passages}), CitedAnswer
    )
    if result.parsed is None:
        failure = result.failure
        raise PilotError(ErrorCode.UPSTREAM_INVALID_OUTPUT if failure and failure.kind == "invalid_output"
                         else ErrorCode.UPSTREAM_UNAVAILABLE, f"the LLM did not answer: {failure.message if failure else ''}")  # fmt: skip
    citations = []
    for cited in result.parsed.citations:
        if 1 <= cited.passage <= len(hits):
            hit = hits[cited.passage - 1]
            citations.append(_citation(hit).model_copy(update={"quote": cited.quote}))
        else:
            citations.append(Citation(document_key=f"passage:{cited.passage}", quote=cited.quote))
    kept, findings = check_citations(citations, retrieved)
    return Answer(program_id=program_id, question=question, kind="retrieval", engine="llm", text=result.parsed.answer,
                  citations=kept, findings=findings)  # fmt: skip
