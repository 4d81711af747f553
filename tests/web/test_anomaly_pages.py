"""The anomalies page over HTTP: words and units instead of raw labels, grouping, filters and
sort, triage that keeps the filters and recomputes the counts, resolved findings hidden unless
asked for, links to record pages, trends with axes, and a scan that says what changed."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from pilot.domain.findings import KpiStatus, KpiValue
from pilot.pipeline.anomalies import anomalies
from pilot.web.anomaly_board import PER_FAMILY
from pilot.web.charts import trend_chart
from pilot.web.labels import kpi_target, kpi_value, kpi_with_target, rule_label
from tests.web.test_pages import P, login

URL = f"/p/{P}/anomalies"


def cards(page: str) -> list[str]:
    return re.findall(r'<article class="finding sev-(\w+)[^"]*" id="finding-(\d+)"', page)  # type: ignore[return-value]


def kpi(value: float | None, unit: str, target: str) -> KpiValue:
    return KpiValue(kpi_id="k", name="k", value=value, unit=unit, target=target, status=KpiStatus.OK)


def test_kpis_read_in_one_unit() -> None:
    assert kpi_with_target(kpi(0.625, "ratio", ">= 0.80")) == "62% (target at least 80%)"
    assert kpi_with_target(kpi(9, "count", "<= 5")) == "9 (target at most 5)"
    assert kpi_with_target(kpi(3.75, "hours", "<= 24")) == "3.8 hours (target at most 24 hours)"
    assert kpi_with_target(kpi(1, "days", "<= 5")) == "1 day (target at most 5 days)"
    assert kpi_value(kpi(0, "per_period", "<= previous period (1)")) == "0 this period"
    assert kpi_target(kpi(0, "per_period", "<= previous period (1)")) == "at most the previous period's 1"
    assert kpi_value(kpi(None, "ratio", ">= 0.90")) == "no data"
    assert rule_label("dependency.overdue") == "Dependency overdue"
    assert rule_label("brand.new_rule") == "New rule"  # an unknown rule still reads as words


def test_trend_chart_has_labelled_axes() -> None:
    from datetime import UTC, datetime

    days = [datetime(2026, 11, d, 9, tzinfo=UTC) for d in (6, 13, 20)]
    svg = trend_chart(
        list(zip(days, (0.7, 0.6, 0.5), strict=True)), ratio=True, target=0.9, fmt=lambda v: f"{v * 100:.0f}%"
    )
    assert re.findall(r'class="ylabel"[^>]*>([^<]+)<', svg) == ["0%", "50%", "100%"]
    assert re.findall(r'class="xlabel"[^>]*>([^<]+)<', svg) == ["Nov 06", "Nov 13", "Nov 20"]
    assert 'class="target"' in svg and svg.count('class="point"') == 3
    counts = trend_chart([(days[0], 1.0), (days[1], 1.0)], whole=True, target=0)
    assert re.findall(r'class="ylabel"[^>]*>([^<]+)<', counts) == ["0", "1", "2"]  # whole numbers
    assert "no history yet" in trend_chart([])


def test_the_page_uses_words_groups_families_and_links_records(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    login(client, tokens["viewer"])
    page = client.get(URL).text
    assert "per_period" not in page and "&gt;= 0." not in page and ">= 0." not in page
    assert "<strong>62%</strong>" in page and "target at least 80%" in page
    assert re.search(r'<text class="xlabel"[^>]*>Nov \d\d</text>', page)
    assert '<a class="ref" href="/p/payments-migration/records/dependency/DEP-10"' in page
    stored = anomalies(pilot, P)
    families = {f.finding.family for f in stored}
    assert page.count('<section class="family"') == len(families)
    raid = sum(f.finding.family == "raid" for f in stored)
    assert raid > PER_FAMILY and f'?family=raid#findings">Show all {raid} in Risks and issues' in page
    assert len(cards(page)) == sum(
        min(PER_FAMILY, sum(f.finding.family == fam for f in stored)) for fam in families
    )
    errors = sum(f.finding.severity.value == "error" for f in stored)
    assert f"{errors} errors</span>" in page.split('id="counts"')[1][:400]


def test_filters_and_sort(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    login(client, tokens["viewer"])
    stored = anomalies(pilot, P)
    shown = cards(client.get(URL, params={"severity": "error"}).text)
    assert {s for s, _ in shown} == {"error"}
    assert len(shown) == sum(f.finding.severity.value == "error" for f in stored)
    raid = cards(client.get(URL, params={"family": "raid", "sort": "oldest"}).text)
    ids = [int(i) for _, i in raid]
    first_seen = {f.id: f.first_seen_at for f in stored}
    assert len(ids) == sum(f.finding.family == "raid" for f in stored)
    assert [first_seen[i] for i in ids] == sorted(first_seen[i] for i in ids)
    assert client.get(URL, params={"severity": "nonsense", "sort": "x"}).status_code == 200  # falls back


def test_triage_keeps_the_filters_and_recomputes_the_counts(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    csrf = login(client, tokens["editor"])
    target = next(f for f in anomalies(pilot, P) if f.finding.severity.value == "error")
    before = sum(f.finding.severity.value == "error" for f in anomalies(pilot, P))
    response = client.post(
        f"/p/{P}/findings/{target.id}",
        data={
            "state": "resolved",
            "reason": "done in the sync",
            "csrf": csrf,
            "back": "severity=error&sort=newest&evil=1",
        },
    )
    assert response.status_code == 303
    location = urlparse(response.headers["location"])
    assert parse_qs(location.query) == {
        "severity": ["error"],
        "sort": ["newest"],
        "done": [f"resolved-{target.id}"],
    }
    page = client.get(f"{location.path}?{location.query}").text
    assert f'id="finding-{target.id}"' not in page and "resolved and hidden" in page
    assert f"{before - 1} errors</span>" in page.split('id="counts"')[1][:400]
    shown = client.get(URL, params={"severity": "error", "resolved": "true"}).text
    assert f'id="finding-{target.id}"' in shown and "state-resolved" in shown


def test_scan_now_reports_what_changed(site) -> None:  # type: ignore[no-untyped-def]
    client, pilot, tokens = site
    csrf = login(client, tokens["editor"])
    from pilot.pipeline.delivery import import_delivery
    from pilot.sample import delivery_dir

    import_delivery(pilot, P, [delivery_dir()])  # delivery signals arrive: new findings
    response = client.post(f"/p/{P}/scan", data={"csrf": csrf, "back": "family=delivery"})
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["family"] == ["delivery"] and query["scanned"][0].startswith("2026-11-20")
    new_ids = [int(i) for i in query["new"][0].split(",")]
    delivery = [f for f in anomalies(pilot, P) if f.finding.family == "delivery"]
    assert sorted(new_ids) == sorted(f.id for f in delivery)
    page = client.get(response.headers["location"]).text
    assert f"{len(new_ids)} new (" in page and "0 re-opened · 0 cleared" in page
    assert page.count('<span class="badge new">new</span>') == len(delivery)
    again = client.get(client.post(f"/p/{P}/scan", data={"csrf": csrf}).headers["location"]).text
    assert "nothing changed since the previous scan" in again
