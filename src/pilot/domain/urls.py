"""Links pilot may render: absolute http(s) URLs, and root-relative paths of pilot's own pages.

Every URL that comes from outside (a Jira `self`, a GitHub or PagerDuty `html_url`, a program
file's `postmortem_url`, a saved API answer) passes through `web_url` before pilot stores it; the
templates check again (`pilot.web.links`), and the Markdown preview uses the same rule. Anything
else (`javascript:`, `data:`, `vbscript:`, `//host`, text with control characters that browsers
strip before parsing) is not a link.

- `WebUrl`: a field that refuses anything else (a program file says where it is wrong).
- `LinkUrl`: a field that keeps anything else out by dropping it to None (connector data: the
  item is kept, without its link).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator

WEB_SCHEMES = frozenset({"http", "https"})
MAX_URL_LENGTH = 2000


def web_url(value: object) -> str | None:
    """`value` as a link pilot may render (http/https with a host, or a path on this site), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        return None
    # Browsers drop tabs and newlines anywhere in a URL and strip C0 controls at its ends:
    # "java\tscript:" is "javascript:" to them. No control character belongs in a link.
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text) or "\\" in text:
        return None
    text = text.replace(" ", "%20")
    if text.startswith("/"):
        return None if text.startswith("//") else text  # "//host" is another site
    try:
        parts = urlsplit(text)
    except ValueError:  # an invalid IPv6 netloc, an out-of-range port
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return text


def is_web_url(value: object) -> bool:
    return web_url(value) is not None


def unsafe_url_warning(field: str, value: object) -> str:
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return f"{field} {shown} is not an http(s) link; stored without it"


def _required(value: str) -> str:
    checked = web_url(value)
    if checked is None:
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise ValueError(f"not an http(s) link: {shown!r} (only http:// and https:// URLs are accepted)")
    return checked


def _or_none(value: Any) -> str | None:
    return None if value is None else web_url(value)


WebUrl = Annotated[str, AfterValidator(_required)]
LinkUrl = Annotated[str | None, BeforeValidator(_or_none)]
