"""What the anomalies page shows, computed from stored findings without I/O: the filters, the
findings grouped by rule family (worst family first), the counts that need attention, and the
notices after a scan or a triage action."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pilot.domain.findings import FindingState, Severity, StoredFinding
from pilot.web.labels import family_label, rule_label

SEVERITIES = ("error", "warning", "info")
SORTS: dict[str, tuple[str, Callable[[StoredFinding], Any]]] = {
    "severity": ("worst first", lambda f: (-f.finding.severity.rank, f.finding.rule_id, f.id)),
    "newest": ("newest first", lambda f: (-f.first_seen_at.timestamp(), -f.finding.severity.rank, f.id)),
    "oldest": ("oldest first", lambda f: (f.first_seen_at.timestamp(), -f.finding.severity.rank, f.id)),
    "rule": ("by rule", lambda f: (rule_label(f.finding.rule_id), -f.finding.severity.rank, f.id)),
}
MAX_IDS = 300
PER_FAMILY = 4  # unfiltered, each family shows its worst few; its filter shows them all


@dataclass(frozen=True)
class BoardFilters:
    KEYS: ClassVar[tuple[str, ...]] = ("severity", "family", "sort", "resolved")

    severity: str = ""
    family: str = ""
    sort: str = "severity"
    resolved: bool = False

    @classmethod
    def clean(cls, *, severity: str, family: str, sort: str, resolved: bool) -> BoardFilters:
        """Unknown values fall back to "everything": a stale link still shows a page."""
        return cls(
            severity=severity if severity in SEVERITIES else "",
            family=family if family.replace("_", "").isalnum() else "",
            sort=sort if sort in SORTS else "severity",
            resolved=resolved,
        )

    def query(self) -> str:
        """These filters as a query string (to carry them across a form post)."""
        parts = [
            f"severity={self.severity}" if self.severity else "",
            f"family={self.family}" if self.family else "",
            f"sort={self.sort}" if self.sort != "severity" else "",
            "resolved=true" if self.resolved else "",
        ]
        return "&".join(p for p in parts if p)

    def keeps(self, f: StoredFinding) -> bool:
        if f.state == FindingState.RESOLVED and not self.resolved:
            return False
        if self.severity and f.finding.severity.value != self.severity:
            return False
        return not self.family or f.finding.family == self.family


@dataclass
class FamilyGroup:
    family: str
    label: str
    findings: list[StoredFinding]  # those shown
    counts: dict[str, int]  # of every finding of the family the filters keep

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Board:
    groups: list[FamilyGroup]
    attention: dict[str, int]  # unresolved findings by severity, whatever the filters
    by_state: dict[str, int]  # unresolved findings by review state
    families: list[tuple[str, str, int]]  # (family, label, unresolved count) for the filter chips
    shown: int
    total: int
    resolved: int


def severity_counts(findings: Iterable[StoredFinding]) -> dict[str, int]:
    counts = Counter(f.finding.severity.value for f in findings)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def board(active: Sequence[StoredFinding], filters: BoardFilters) -> Board:
    """The active findings the filters keep, by family: families with the worst findings first."""
    unresolved = [f for f in active if f.state != FindingState.RESOLVED]
    kept = sorted((f for f in active if filters.keeps(f)), key=SORTS[filters.sort][1])
    grouped: dict[str, list[StoredFinding]] = defaultdict(list)
    for f in kept:
        grouped[f.finding.family].append(f)
    cap = None if (filters.family or filters.severity) else PER_FAMILY
    groups = [
        FamilyGroup(family, family_label(family), items[:cap], severity_counts(items))
        for family, items in grouped.items()
    ]
    groups.sort(key=lambda g: (-max(f.finding.severity.rank for f in g.findings), -g.total, g.label))
    per_family = Counter(f.finding.family for f in unresolved)
    return Board(
        groups=groups,
        attention=severity_counts(unresolved),
        by_state={
            s.value: sum(f.state == s for f in unresolved) for s in FindingState if s != FindingState.RESOLVED
        },
        families=sorted(((fam, family_label(fam), n) for fam, n in per_family.items()), key=lambda t: t[1]),
        shown=len(kept),
        total=len(unresolved),
        resolved=sum(f.state == FindingState.RESOLVED for f in active),
    )


def parse_ids(text: str) -> list[int]:
    ids = [int(part) for part in text.split(",") if part.strip().isascii() and part.strip().isdigit()]
    return ids[:MAX_IDS]


@dataclass
class ScanNotice:
    """What the last "Scan now" changed, so 14 errors becoming 21 comes with its reasons."""

    at: str
    new: list[StoredFinding] = field(default_factory=list)
    reopened: list[StoredFinding] = field(default_factory=list)
    cleared: list[StoredFinding] = field(default_factory=list)
    carried: list[StoredFinding] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        everything: Sequence[StoredFinding],
        at: str,
        new: list[int],
        reopened: list[int],
        cleared: list[int],
        carried: list[int],
    ) -> ScanNotice:
        by_id = {f.id: f for f in everything}

        def pick(ids: list[int]) -> list[StoredFinding]:
            found = [by_id[i] for i in ids if i in by_id]
            return sorted(found, key=SORTS["severity"][1])

        return cls(
            at=at[:20], new=pick(new), reopened=pick(reopened), cleared=pick(cleared), carried=pick(carried)
        )

    @property
    def new_counts(self) -> dict[str, int]:
        return severity_counts(self.new)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.reopened or self.cleared or self.carried)


_DONE = {
    "acknowledged": "acknowledged: it stays listed, marked acknowledged, and no longer counts as open",
    "snoozed": "snoozed: it stays listed until the snooze ends, then reopens if it still holds",
    "resolved": "resolved and hidden (tick “Show resolved” to see it); it reopens if its facts change",
}


def action_notice(everything: Sequence[StoredFinding], done: str) -> str | None:
    """ "resolved-12" -> what happened to finding 12, in words."""
    state, _, raw_id = done.partition("-")
    if state not in _DONE or not (raw_id.isascii() and raw_id.isdigit()):
        return None
    found = next((f for f in everything if f.id == int(raw_id)), None)
    if found is None:
        return None
    about = ", ".join(s.partition(":")[2] or s for s in found.finding.subjects[:3])
    return f"{rule_label(found.finding.rule_id)} ({about}) {_DONE[state]}."


def severity_word(severity: Severity | str, n: int) -> str:
    word = {"error": "error", "warning": "warning", "info": "info"}[str(severity)]
    return f"{n} {word}{'' if n == 1 or word == 'info' else 's'}"
