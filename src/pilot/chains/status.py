"""Status drafts from a fact sheet: offline through Jinja2 templates, or prose by an LLM around
the same facts. Decision asks are never written by a model: they are rendered from the fact
sheet's pending decisions, so their options, decider and dates are exact. Exports: Markdown,
an HTML e-mail body and Slack mrkdwn."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pilot.chains.llm import StructuredLLM, TokenUsage
from pilot.chains.prompts import PromptTemplate, load_prompt
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.status import Audience, DecisionAsk, FactSheet, StatusDraft, StatusProse

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "status"
GUIDANCE = {
    "exec": "one screen; the headline and the decisions needed first; only what leadership must know or act on.",
    "engineering": "more detail: milestones, dependencies, risks with mitigations, KPIs.",
    "product": "customer impact: customer-facing dates, incidents customers felt, risks to dates.",
}


def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(disabled_extensions=("j2",), default=False),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def offline_template_hash(audience: Audience) -> str:
    """The sha256 of the templates an offline status draft is rendered from: its version of record."""
    digest = hashlib.sha256()
    for name in (f"{audience}.md.j2", "_macros.j2"):
        path = TEMPLATES / name
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def overdue(needed_by: date | None, sheet: FactSheet) -> bool:
    return needed_by is not None and needed_by < sheet.as_of


def decision_asks(sheet: FactSheet) -> list[DecisionAsk]:
    """Every pending decision past its latency threshold or its needed-by date is an ask: the
    overdue ones first, then the longest waiting."""
    return [
        DecisionAsk(
            decision_id=d.id,
            question=d.question,
            options=d.options,
            recommendation=d.recommendation,
            decider=d.decider,
            needed_by=d.needed_by,
            cost_of_delay=d.cost_of_delay,
        )
        for d in sorted(
            sheet.pending_decisions, key=lambda d: (not overdue(d.needed_by, sheet), -d.waited_business_days)
        )
        if d.past_threshold or overdue(d.needed_by, sheet)
    ]


def offline_headline(sheet: FactSheet) -> str:
    late = [m for m in sheet.milestones if m.slip_days > 0 and m.status != "done"]
    waiting = [d for d in sheet.pending_decisions if d.past_threshold]
    parts = [f"{sheet.program_name} is {sheet.colour.value.upper()}"]
    if late:
        worst = max(late, key=lambda m: (m.critical_path, m.slip_days))
        parts.append(f"{worst.id} is forecast {worst.forecast}, {worst.slip_days} days after its target")
    if waiting:
        parts.append(
            f"{len(waiting)} decisions have waited more than {sheet.decision_latency_threshold} business days"
        )
    return "; ".join(parts) + "."


def render_body(sheet: FactSheet, audience: Audience, headline: str, asks: list[DecisionAsk]) -> str:
    return (
        _env().get_template(f"{audience}.md.j2").render(s=sheet, headline=headline, asks=asks).strip() + "\n"
    )


def offline_status(sheet: FactSheet, audience: Audience) -> StatusDraft:
    asks = decision_asks(sheet)
    headline = offline_headline(sheet)
    return StatusDraft(
        audience=audience,
        colour=sheet.colour,
        headline=headline,
        body=render_body(sheet, audience, headline, asks),
        asks=asks,
        fact_sheet=sheet,
    )


@dataclass(frozen=True)
class LLMStatusRun:
    """An LLM-written status draft with the prompt that asked for it and what the call cost."""

    draft: StatusDraft
    prompt: PromptTemplate
    usage: TokenUsage


def llm_status(sheet: FactSheet, audience: Audience, llm: StructuredLLM) -> StatusDraft:
    return llm_status_run(sheet, audience, llm).draft


def llm_status_run(sheet: FactSheet, audience: Audience, llm: StructuredLLM) -> LLMStatusRun:
    prompt = load_prompt("status/status")
    messages = prompt.render(
        {
            "audience": audience,
            "audience_guidance": GUIDANCE[audience],
            "fact_sheet_json": sheet.model_dump_json(indent=1),
            "max_words": 250 if audience == "exec" else 600,
            "program_name": sheet.program_name,
            "as_of": sheet.as_of.isoformat(),
        }
    )
    result = llm.invoke(messages, StatusProse)
    if result.parsed is None:
        failure = result.failure
        raise PilotError(
            ErrorCode.UPSTREAM_INVALID_OUTPUT
            if failure and failure.kind == "invalid_output"
            else ErrorCode.UPSTREAM_UNAVAILABLE,
            f"the LLM did not write the status update: {failure.message if failure else 'no answer'}",
        )
    asks = decision_asks(sheet)
    ask_block = getattr(_env().get_template("_macros.j2").make_module(), "ask_block")  # noqa: B009 - a Jinja macro
    block = (
        "\n".join(str(ask_block(a, i, sheet.as_of)) for i, a in enumerate(asks, start=1))
        or "No decisions needed this period."
    )
    body = (
        f"# {sheet.program_name}: {sheet.colour.value.upper()} as of {sheet.as_of}\n\n**{result.parsed.headline}**\n\n"
        f"## Decisions needed\n{block}\n\n{result.parsed.body_markdown.strip()}\n"
    )
    draft = StatusDraft(
        audience=audience,
        colour=sheet.colour,
        headline=result.parsed.headline,
        body=body,
        asks=asks,
        fact_sheet=sheet,
        engine="llm",
    )
    return LLMStatusRun(draft=draft, prompt=prompt, usage=result.usage)


# --- exports -------------------------------------------------------------------------------------


def to_markdown(draft: StatusDraft) -> str:
    return draft.body


def _inline_html(text: str) -> str:
    escaped = html.escape(text)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)


def to_html(draft: StatusDraft) -> str:
    """An e-mail-ready body: inline styles only (mail clients drop <style> blocks)."""
    colour = {"red": "#b42318", "amber": "#b54708", "green": "#067647"}[draft.colour.value]
    out = [
        '<div style="font-family:Arial,sans-serif;font-size:14px;color:#1d2330">',
        f'<p style="display:inline-block;padding:2px 10px;border-radius:10px;background:{colour};color:#fff">'
        f"{draft.colour.value.upper()}</p>",
    ]
    in_list = False
    for line in draft.body.splitlines():
        stripped = line.strip()
        bullet = re.match(r"^(?:-|\d+\.)\s+(.*)$", stripped)
        if bullet and not line.startswith("   "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_inline_html(bullet.group(1))}</li>")
            continue
        if bullet:  # a nested detail line of an ask
            out.append(f'<div style="margin-left:24px;color:#475467">{_inline_html(bullet.group(1))}</div>')
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if stripped.startswith("## "):
            out.append(f'<h3 style="margin:16px 0 4px">{_inline_html(stripped[3:])}</h3>')
        elif stripped.startswith("# "):
            out.append(f'<h2 style="margin:0 0 8px">{_inline_html(stripped[2:])}</h2>')
        elif stripped:
            out.append(f"<p>{_inline_html(stripped)}</p>")
    if in_list:
        out.append("</ul>")
    out.append("</div>")
    return "\n".join(out)


def to_slack(draft: StatusDraft) -> str:
    """Slack mrkdwn: *bold*, • bullets, headings as bold lines."""
    lines = []
    for line in draft.body.splitlines():
        text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", line)
        if text.startswith("## "):
            text = f"*{text[3:]}*"
        elif text.startswith("# "):
            text = f"*{text[2:]}*"
        elif text.startswith("- "):
            text = f"• {text[2:]}"
        lines.append(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return "\n".join(lines)
