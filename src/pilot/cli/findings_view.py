"""Findings and KPIs for an 80-column terminal: a summary first, then findings grouped by rule
family (worst first) one line each with their full rule id, then the KPIs that need attention.

Lines never wrap: what does not fit ends in an ellipsis (the rule id and the finding's id always
fit; `--json` has everything). By default each family shows its errors and warnings up to a few;
`--all` lists every finding, info included, and every KPI.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Iterable

from rich.console import Console
from rich.text import Text

from pilot.domain.findings import FindingState, KpiStatus, KpiValue, Severity, StoredFinding

PER_FAMILY = 4
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_KPI_STYLE = {"breach": "bold red", "warning": "yellow", "ok": "green", "no_data": "dim"}
_LETTER = {"error": "E", "warning": "W", "info": "i"}
_UNITS = {"hours": "h", "days": "days", "count": "", "per_period": "per period"}


def family(rule_id: str) -> str:
    return rule_id.split(".", 1)[0]


def _families(findings: Iterable[StoredFinding]) -> list[tuple[str, list[StoredFinding]]]:
    grouped: dict[str, list[StoredFinding]] = defaultdict(list)
    for f in findings:
        grouped[family(f.finding.rule_id)].append(f)
    for items in grouped.values():
        items.sort(key=lambda f: (-f.finding.severity.rank, f.finding.rule_id, f.id))
    return sorted(
        grouped.items(), key=lambda kv: (-max(f.finding.severity.rank for f in kv[1]), -len(kv[1]), kv[0])
    )


def _counts(findings: list[StoredFinding]) -> dict[str, int]:
    return {
        s.value: sum(f.finding.severity == s for f in findings)
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def kpi_value(kpi: KpiValue) -> str:
    if kpi.value is None:
        return "no data"
    if kpi.unit == "ratio":
        return f"{kpi.value:.0%}"
    unit = _UNITS.get(kpi.unit, kpi.unit)
    return f"{kpi.value:g} {unit}".strip()


def kpi_target(kpi: KpiValue) -> str:
    """ ">= 0.90" as ">= 90%" for a share; "<= 24" as "<= 24 h" for hours."""
    sign, _, number = kpi.target.partition(" ")
    try:
        value = float(number)
    except ValueError:
        return kpi.target
    if kpi.unit == "ratio":
        return f"{sign} {value:.0%}"
    return f"{sign} {value:g} {_UNITS.get(kpi.unit, kpi.unit)}".strip()


def print_summary(console: Console, title: str, findings: list[StoredFinding], kpis: list[KpiValue]) -> None:
    counts = _counts(findings)
    line = Text(f"{title}: {_plural(len(findings), 'finding')} (")
    line.append(f"{counts['error']} errors", _STYLE["error"]).append(", ")
    line.append(f"{counts['warning']} warnings", _STYLE["warning"]).append(f", {counts['info']} info)")
    console.print(line, no_wrap=True, overflow="ellipsis")
    for name, items in _families(findings):
        c = _counts(items)
        parts = [
            f"{c[s]} {s}{'s' if c[s] != 1 and s != 'info' else ''}"
            for s in ("error", "warning", "info")
            if c[s]
        ]
        console.print(f"  {name:<12} {', '.join(parts)}", no_wrap=True, overflow="ellipsis", highlight=False)
    breach = [k for k in kpis if k.status in (KpiStatus.BREACH, KpiStatus.WARNING)]
    console.print(
        f"KPIs: {len(kpis)}, {len(breach)} need attention ({sum(k.status == KpiStatus.BREACH for k in kpis)} "
        f"in breach)",
        highlight=False,
    )


def print_findings(console: Console, findings: list[StoredFinding], *, show_all: bool = False) -> None:
    for name, items in _families(findings):
        shown = items if show_all else [f for f in items if f.finding.severity != Severity.INFO]
        hidden = len(items) - len(shown[:PER_FAMILY] if not show_all else shown)
        console.print()
        console.print(Text(f"{name} ({len(items)})", style="bold"), no_wrap=True)
        for f in shown if show_all else shown[:PER_FAMILY]:
            console.print(_finding_line(f, with_message=not show_all), no_wrap=True, overflow="ellipsis")
            if show_all:  # the message in full under its rule id, indented
                _print_wrapped(console, f.finding.message, "")
                if f.finding.suggested_action:
                    _print_wrapped(console, f"Next: {f.finding.suggested_action}", "dim")
        if hidden:
            console.print(f"  ... {hidden} more: pilot anomalies --all", style="dim", highlight=False)


def _print_wrapped(console: Console, text: str, style: str) -> None:
    indent = " " * 10
    width = max(console.width, 40)  # textwrap counts the indent in the width
    console.print(
        textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent),
        style=style,
        highlight=False,
        markup=False,
        no_wrap=True,
        overflow="ellipsis",
    )


def _finding_line(f: StoredFinding, *, with_message: bool) -> Text:
    severity = f.finding.severity.value
    line = Text("  ")
    line.append(_LETTER[severity], _STYLE[severity]).append(f" #{f.id:<4} ")
    line.append(f.finding.rule_id, "bold")
    if f.state != FindingState.OPEN:
        line.append(f" [{f.state.value}]", "dim")
    if f.finding.subjects and not with_message:
        line.append("  " + ", ".join(f.finding.subjects), "dim")
    if with_message:
        line.append(f"  {f.finding.message}")
    return line


def print_kpis(console: Console, kpis: list[KpiValue], *, show_all: bool = False) -> None:
    shown = kpis if show_all else [k for k in kpis if k.status in (KpiStatus.BREACH, KpiStatus.WARNING)]
    console.print()
    console.print(Text("KPIs" + ("" if show_all else " needing attention"), style="bold"))
    for k in sorted(shown, key=lambda k: (k.status != KpiStatus.BREACH, k.status.value, k.name)):
        line = Text("  ")
        line.append(f"{k.status.value.replace('_', ' '):<8}", _KPI_STYLE[k.status.value])
        line.append(f" {kpi_value(k):>9}  {kpi_target(k):<10} {k.name}")
        console.print(line, no_wrap=True, overflow="ellipsis")
    if not show_all and len(shown) < len(kpis):
        console.print(
            f"  ... {len(kpis) - len(shown)} on target or without data: pilot anomalies --all",
            style="dim",
            highlight=False,
        )
