"""Citation checks: a citation must point at a passage that was retrieved, and its quote must be
in that passage. Pure: the retrieved passages are passed in."""

from __future__ import annotations

from collections.abc import Mapping

from pilot.domain.answers import Citation
from pilot.domain.findings import Finding, Severity
from pilot.rules.quotes import quote_in_source


def check_citations(
    citations: list[Citation], retrieved: Mapping[str, str]
) -> tuple[list[Citation], list[Finding]]:
    """Keep verified citations; every rejected one becomes a finding saying why."""
    kept: list[Citation] = []
    findings: list[Finding] = []
    for citation in citations:
        key = citation.document_key or ""
        passage = retrieved.get(key)
        if passage is None:
            findings.append(
                Finding(
                    rule_id="answer.citation_not_retrieved",
                    severity=Severity.ERROR,
                    message=f"A citation points at {key or 'nothing'}, which was not retrieved.",
                    values={"document": key},
                )
            )
            continue
        if not quote_in_source(citation.quote, passage):
            findings.append(
                Finding(
                    rule_id="answer.quote_not_in_source",
                    severity=Severity.ERROR,
                    message=f"The quote attributed to {citation.title or key} is not in it.",
                    values={"document": key, "quote": citation.quote[:200]},
                )
            )
            continue
        kept.append(citation.model_copy(update={"verified": True}))
    return kept, findings
