"""Artifact drafts rendered from their sheet by Jinja2 templates (no model writes them), and their
exports: Markdown as drafted, and an HTML document body (inline styles, everything escaped)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pilot.domain.artifacts import ARTIFACT_TITLES, ArtifactDraft, ArtifactSheet

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "artifacts"


def _env() -> Environment:
    # Markdown out: nothing is escaped here; the HTML export escapes every piece of text.
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def render_artifact(sheet: ArtifactSheet) -> ArtifactDraft:
    body = _env().get_template(f"{sheet.kind}.md.j2").render(s=sheet)
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    subject = f"{sheet.release.id} " if sheet.release else ""
    return ArtifactDraft(
        kind=sheet.kind,
        title=f"{ARTIFACT_TITLES[sheet.kind]}: {subject}{sheet.program_name}",
        body=body,
        sheet=sheet,
    )


def _inline(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))


def _table(rows: list[str]) -> str:
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    head, body = cells[0], [r for r in cells[1:] if not all(re.fullmatch(r":?-+:?", c) for c in r)]
    style = 'style="border:1px solid #d0d5dd;padding:4px 6px;text-align:left;vertical-align:top"'
    out = [
        '<table style="border-collapse:collapse;margin:6px 0">',
        "<tr>" + "".join(f"<th {style}>{_inline(c)}</th>" for c in head) + "</tr>",
    ]
    out += ["<tr>" + "".join(f"<td {style}>{_inline(c)}</td>" for c in row) + "</tr>" for row in body]
    return "\n".join([*out, "</table>"])


def to_html(draft: ArtifactDraft) -> str:
    """Headings, paragraphs, bullet lists (checkboxes as boxes) and pipe tables."""
    out = ['<div style="font-family:Arial,sans-serif;font-size:14px;color:#1d2330">']
    lines = draft.body.splitlines()
    index, in_list = 0, False
    while index < len(lines):
        line = lines[index].rstrip()
        if line.startswith("|"):
            block = []
            while index < len(lines) and lines[index].startswith("|"):
                block.append(lines[index])
                index += 1
            out.append(_table(block))
            continue
        bullet = re.match(r"^- (?:\[( |x)\] )?(.*)$", line)
        if bullet and not in_list:
            out.append('<ul style="padding-left:20px">')
            in_list = True
        elif not bullet and in_list:
            out.append("</ul>")
            in_list = False
        if bullet:
            box = {" ": "&#9744; ", "x": "&#9745; "}.get(bullet.group(1) or "", "")
            out.append(f"<li>{box}{_inline(bullet.group(2))}</li>")
        elif line.startswith("## "):
            out.append(f'<h3 style="margin:16px 0 4px">{_inline(line[3:])}</h3>')
        elif line.startswith("# "):
            out.append(f'<h2 style="margin:0 0 8px">{_inline(line[2:])}</h2>')
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        index += 1
    if in_list:
        out.append("</ul>")
    return "\n".join([*out, "</div>"]) + "\n"


def to_markdown(draft: ArtifactDraft) -> str:
    return draft.body
