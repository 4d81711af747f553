"""The weekly "what you owe / what you are owed" digest of one person, rendered from data by
Jinja2 templates (no model writes it): Markdown, an HTML e-mail body (inline styles, escaped)
and Slack mrkdwn."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pilot.domain.owe import KIND_NAMES, OweItem, OweReport

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "owe"
DigestFormat = Literal["md", "html", "slack"]
DIGEST_FORMATS: tuple[DigestFormat, ...] = ("md", "html", "slack")
WEEK_DAYS = 7


def slack_escape(text: object) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        keep_trailing_newline=True,
    )
    env.filters["slack"] = slack_escape
    return env


def groups(items: list[OweItem]) -> list[tuple[str, list[OweItem]]]:
    """Overdue, due this week, later, and undated: the order a person works through them."""
    buckets: dict[str, list[OweItem]] = {"Overdue": [], "Due this week": [], "Later": [], "No date": []}
    for item in items:
        if item.days_left is None:
            buckets["No date"].append(item)
        elif item.days_left < 0:
            buckets["Overdue"].append(item)
        elif item.days_left < WEEK_DAYS:
            buckets["Due this week"].append(item)
        else:
            buckets["Later"].append(item)
    return [(label, found) for label, found in buckets.items() if found]


def render_digest(report: OweReport, fmt: DigestFormat) -> str:
    template = _env().get_template(f"digest.{fmt}.j2")
    text = template.render(
        r=report,
        owes_groups=groups(report.owes),
        owed_groups=groups(report.owed),
        overdue_owes=sum(i.overdue for i in report.owes),
        overdue_owed=sum(i.overdue for i in report.owed),
        kind_names=KIND_NAMES,
    )
    return text.strip() + "\n"
