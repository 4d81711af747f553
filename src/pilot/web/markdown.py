"""Markdown to HTML for previews, rendered on the server by markdown-it-py (CommonMark).

Drafts are data, never markup: raw HTML in a draft is escaped, images are not rendered (a preview
must not fetch anything), and links keep only http(s) and this site's own paths (the rule of
`pilot.domain.urls`: any other scheme, `javascript:` or `mailto:` alike, is shown as text)."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

from pilot.domain.urls import web_url
from pilot.web.links import neutralize_links


class _SafeLinks(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it's name
        return url.startswith("#") or web_url(url) is not None


def _build() -> MarkdownIt:
    md = _SafeLinks("commonmark", {"html": False}).enable("table").disable("image")

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    return md


_MD = _build()


def markdown_html(text: str) -> Markup:
    """Safe HTML for a Markdown text (the template may mark it safe: nothing raw gets through)."""
    return Markup(neutralize_links(_MD.render(text or "")))
