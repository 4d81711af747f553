"""The deterministic rules layer: pure functions of program data and a `now` the caller passes.

- `detectors.scan(data, now)`: program findings and KPI values (the anomaly review job).
- `checks.run_checks(kind, payload, index, context, now)`: findings on one draft.
- `thresholds`: tier defaults and per-program overrides; `calendar`: business days, local dates.
No I/O, no clock, no LLM: everything here is reproducible from its arguments.
"""
