"""Backtest the delivery forecasts on the bundled sample's ticket history and print the table.

.venv/bin/python evals/forecast_backtest.py [--json]
"""

from __future__ import annotations

import argparse
import json

from pilot.evals.forecast import run_forecast_backtest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run_forecast_backtest()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        "| milestone | as of | open | P50 | P85 | entered | finished | within P85 | P50 error (bd) | entered error (bd) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in report["rows"]:
        print(
            f"| {r['milestone']} | {r['as_of']} | {r['open_items']} | {r['p50']} | {r['p85']} | {r['entered']} | "
            f"{r['actual']} | {'yes' if r['within_p85'] else 'no'} | {r['p50_error_days']} | {r['entered_error_days']} |"
        )
    print(
        f"\n{report['forecasts']} forecasts: finished by P85 in {report['within_p85_share']:.0%}, by P50 in "
        f"{report['within_p50_share']:.0%}; mean |error| of P50 {report['p50_mean_abs_error_business_days']} business "
        f"days against {report['entered_mean_abs_error_business_days']} for the entered forecast of the same day"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
