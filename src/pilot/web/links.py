"""No page links anywhere but the web: the `web_href` filter for data in templates, and a last check
on every rendered page that removes any URL attribute with another scheme (defence in depth: a
template that forgot the filter still renders no `javascript:` link).

Data is checked where it enters (`pilot.domain.urls`); these two checks are for what got past it
(rows stored by an earlier version, a template written tomorrow)."""

from __future__ import annotations

import html
import re

from pilot.domain.urls import web_url

# A start tag (quoted attribute values may hold ">"); text between tags is escaped by Jinja.
_TAG = re.compile(r"""<[a-zA-Z](?:"[^"]*"|'[^']*'|[^'">])*>""")
# Attributes a browser follows or fetches, and htmx's request attributes.
_URL_ATTRIBUTE = re.compile(
    r"""(\s)(href|src|action|formaction|poster|cite|background|xlink:href|data|srcset|ping|"""
    r"""hx-get|hx-post|hx-put|hx-patch|hx-delete)\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+)""",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_BROWSER_DROPS = re.compile(r"[\t\n\r]")


def web_href(value: object) -> str | None:
    """Jinja filter: the URL when pilot may link to it (http/https, or a path on this site)."""
    return web_url(value)


def allowed_in_page(raw: str) -> bool:
    """Whether an attribute value (as written in the page) points somewhere pilot may link:
    http(s), this site's paths, a query or a fragment of the current page. Read the way a browser
    reads it: entities decoded, tabs and newlines dropped, leading controls and spaces stripped."""
    value = _BROWSER_DROPS.sub("", html.unescape(raw)).lstrip("".join(map(chr, range(0x21))))
    if value.startswith(("//", "/\\", "\\")):
        return False  # another host, whatever the scheme
    scheme = _SCHEME.match(value)
    return scheme is None or scheme.group(1).lower() in ("http", "https")


def neutralize_links(page: str) -> str:
    """The page with every URL attribute that is not allowed removed (the element stays, inert)."""

    def attribute(match: re.Match[str]) -> str:
        quoted = match.group(3)
        raw = quoted[1:-1] if quoted[:1] in ("'", '"') else quoted
        urls = (
            [c.split()[0] for c in raw.split(",") if c.split()]
            if match.group(2).lower() == "srcset"
            else [raw]
        )
        return match.group(0) if all(allowed_in_page(u) for u in urls) else match.group(1)

    return _TAG.sub(lambda tag: _URL_ATTRIBUTE.sub(attribute, tag.group(0)), page)
