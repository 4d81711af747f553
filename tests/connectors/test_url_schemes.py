"""Links from sources are http(s) or nothing: a `javascript:` (or `data:`, `vbscript:`, `//host`)
URL in a PagerDuty, Jira or GitHub answer, a saved export, a delivery pull or a program file is
never stored as a link. Documents are kept without it and say why; a program file is refused,
naming the field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pilot.connectors.files import export_documents
from pilot.connectors.github import issue_document
from pilot.connectors.github_delivery import ci_run, pull_request
from pilot.connectors.jira import issue_document as jira_issue_document
from pilot.connectors.jira_changelog import ticket_state
from pilot.connectors.pagerduty import incident_document
from pilot.connectors.program_file import parse_program_yaml
from pilot.domain.answers import Citation
from pilot.domain.documents import Document, DocumentKind
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.urls import web_url
from pilot.sample import SAMPLE_PROGRAM_ID, delivery_dir, sample_program_path
from tests.connectors.conftest import load

P = SAMPLE_PROGRAM_ID
HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript://github.com/o/r/issues/7%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/\\evil.example/x",
    "https:\\\\evil.example",
    "file:///etc/passwd",
    "\x01javascript:alert(1)",
    "mailto:someone@example.com",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_only_http_and_https_are_links(url: str) -> None:
    assert web_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://acmepay.atlassian.net/browse/PAY-1",
        "http://127.0.0.1:8080/incidents/Q1",
        "HTTPS://github.com/o/r/issues/7",
        "/p/payments-migration/documents/3",
        "https://wiki.example/post mortem",  # a space is encoded, not a reason to drop the link
    ],
)
def test_web_links_are_kept(url: str) -> None:
    assert web_url(url) is not None and web_url(url).startswith(("http", "HTTP", "/"))  # type: ignore[union-attr]


def test_a_document_keeps_its_text_and_drops_a_hostile_link_with_a_warning() -> None:
    doc = Document(
        program_id=P,
        source="x",
        external_id="1",
        kind=DocumentKind.TICKET,
        text="t",
        url="javascript:alert(1)",
    )
    assert doc.url is None
    assert any("not an http(s) link" in w for w in doc.warnings)
    again = Document.model_validate(doc.model_dump())  # a stored one read back: one warning
    assert again.warnings == doc.warnings


@pytest.mark.parametrize("url", ["javascript:console.log(1)", "data:text/html,x", "//evil.example/i"])
def test_pagerduty_html_url(pagerduty_incidents: dict[str, Any], url: str) -> None:
    raw = copy.deepcopy(pagerduty_incidents["incidents"][0])
    raw["html_url"] = url
    doc = incident_document(raw, P, [])
    assert doc.url is None and doc.title == raw["title"]
    assert doc.warnings


def test_jira_self_link_is_not_a_site(jira_pages: tuple[dict[str, Any], dict[str, Any]]) -> None:
    raw = copy.deepcopy(jira_pages[0]["issues"][0])
    raw["self"] = "javascript:alert(1)//x/rest/api/3/issue/1"
    batch = export_documents({"issues": [raw]}, P)
    assert batch is not None and not batch.failures
    (doc,) = batch.documents
    assert doc.url is None and doc.warnings
    assert jira_issue_document(raw, P, "javascript:alert(1)//").url is None
    assert jira_issue_document(raw, P, "https://acme.atlassian.net").url == (
        f"https://acme.atlassian.net/browse/{raw['key']}"
    )


def test_github_html_url_that_looks_like_github(github_issues: list[dict[str, Any]]) -> None:
    raw = copy.deepcopy(github_issues[0])
    raw["html_url"] = "javascript://github.com/o/r/issues/7%0aalert(document.domain)"
    batch = export_documents([raw], P)
    assert batch is not None and not batch.failures
    assert batch.documents[0].url is None and batch.documents[0].warnings
    assert issue_document(raw, P, "o/r").url is None


def test_delivery_pulls_drop_hostile_links() -> None:
    runs = load(delivery_dir(), "delivery_github_actions_runs.json")["workflow_runs"]
    run = dict(runs[0], html_url="javascript:alert(1)")
    assert ci_run(run, "o/r", "main").url is None
    pulls = load(delivery_dir(), "delivery_github_pulls.json")
    assert pull_request(dict(pulls[0], html_url="vbscript:x"), "o/r", None).url is None
    jira = load(delivery_dir(), "delivery_jira_search_changelog.json")["issues"][0]
    assert ticket_state(jira, "javascript:alert(1)").url is None
    assert ticket_state(jira, "").url is None  # no site: no link to pilot's own /browse/...
    assert (
        ticket_state(jira, "https://acme.atlassian.net").url
        == f"https://acme.atlassian.net/browse/{jira['key']}"
    )


def test_a_citation_never_carries_a_hostile_link() -> None:
    assert Citation(quote="q", url="javascript:alert(1)").url is None
    assert Citation(quote="q", url="https://x.example/1").url == "https://x.example/1"


def test_a_program_file_with_a_hostile_postmortem_link_is_refused_where_it_is() -> None:
    text = sample_program_path().read_text(encoding="utf-8")
    assert "postmortem_url: https://" in text
    hostile = text.replace("postmortem_url: https://", "postmortem_url: javascript:alert(1)//", 1)
    with pytest.raises(PilotError) as caught:
        parse_program_yaml(hostile.encode())
    assert caught.value.code == ErrorCode.INVALID_PROGRAM_FILE
    problems = json.dumps(caught.value.details)
    assert "postmortem_url" in problems and "http" in problems
