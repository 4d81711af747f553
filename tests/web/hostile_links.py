"""Source answers carrying `javascript:` links (PagerDuty `html_url`, Jira `self`, GitHub `html_url`
dressed up as github.com), and an independent check of a page's links: every URL attribute, read
by the standard library's HTML parser, is http(s) or a path on the site."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from typing import Any

from pilot.sample import incidents_dir, tickets_dir

MARKER = "quokka"  # a word no sample document has: asking for it cites the planted documents
PAYLOADS = {
    "pagerduty": "javascript:console.log(document.cookie)",
    "jira": "javascript:alert(1)//acme.atlassian.net/rest/api/3/issue/10001",
    "github": "javascript://github.com/acmepay/payments-mobile-sdk/issues/7%0aalert(document.domain)",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "cite", "data", "srcset", "xlink:href", "ping",
                  "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}  # fmt: skip
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)


def _load(path: Any) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def hostile_uploads() -> list[tuple[str, bytes]]:
    """(file name, bytes) of three saved API answers, one record each, each with a hostile link."""
    incidents = _load(incidents_dir() / "pagerduty_incidents.json")
    incident = copy.deepcopy(incidents["incidents"][0])
    incident.update(id="QPLANTED1", title=f"Planted {MARKER} incident on the card vault",
                    description=f"The {MARKER} incident: a planted record with a hostile link.",
                    html_url=PAYLOADS["pagerduty"])  # fmt: skip
    jira = _load(tickets_dir() / "jira_search_page1.json")
    issue = copy.deepcopy(jira["issues"][0])
    issue.update(key="PAY-9901", self=PAYLOADS["jira"])
    issue["fields"]["summary"] = f"Planted {MARKER} ticket about the ledger"
    github = _load(tickets_dir() / "github_issues.json")
    gh = copy.deepcopy(github[0])
    gh.update(number=9902, title=f"Planted {MARKER} issue in the SDK", html_url=PAYLOADS["github"])
    return [
        ("planted-pagerduty.json", json.dumps({**incidents, "incidents": [incident]}).encode()),
        ("planted-jira.json", json.dumps({**jira, "issues": [issue], "total": 1}).encode()),
        ("planted-github.json", json.dumps([gh]).encode()),
    ]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.lower() in URL_ATTRIBUTES and value is not None:
                self.found.append((tag, name, value))


def links(page: str) -> list[tuple[str, str, str]]:
    parser = _Links()
    parser.feed(page)
    return parser.found


def bad_links(page: str) -> list[tuple[str, str, str]]:
    """URL attributes a browser would follow to something other than http(s) or this site."""
    bad = []
    for tag, name, value in links(page):
        # What a browser does before parsing: drop tabs/newlines, strip leading controls and spaces.
        seen = re.sub(r"[\t\n\r]", "", value).lstrip("".join(map(chr, range(0x21))))
        scheme = _SCHEME.match(seen)
        if (scheme and scheme.group(1).lower() not in ("http", "https")) or seen.startswith(("//", "/\\")):
            bad.append((tag, name, value))
    return bad
