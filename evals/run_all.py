"""Run every `pilot eval` suite and write one JSON report per suite to evals/reports/.

    .venv/bin/python evals/run_all.py [--data-dir ../shared/evaldata] [--split qa=test2] [--only qa grounding]

The suites live in `pilot.evals` (so `pilot eval <suite>` works from an installed package);
this script is the reproducible entry point that runs them all, each with the arguments it takes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# suite -> the split it is reported on (None: the suite reads the bundled sample, no --data-dir).
SUITES: dict[str, str | None] = {"extraction": "val", "retrieval": "val", "qa": "dev", "grounding": None}


def suite_command(pilot: Path, suite: str, data_dir: str, split: str | None) -> list[str]:
    """`pilot eval <suite> --json` with only the options that suite accepts."""
    command = [str(pilot), "eval", suite, "--json"]
    if split is not None:
        command += ["--data-dir", data_dir, "--split", split]
    return command


def _splits(pairs: list[str]) -> dict[str, str | None]:
    splits = dict(SUITES)
    for pair in pairs:
        suite, _, split = pair.partition("=")
        if suite not in SUITES or SUITES[suite] is None or not split:
            raise SystemExit(f"--split {pair!r}: use SUITE=SPLIT for one of extraction, retrieval, qa")
        splits[suite] = split
    return splits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(HERE.parent.parent / "shared" / "evaldata"))
    parser.add_argument("--split", action="append", default=[], metavar="SUITE=SPLIT",
                        help="another split for one suite (defaults: extraction=val retrieval=val qa=dev)")  # fmt: skip
    parser.add_argument("--only", nargs="*", help="suites to run (default: all)")
    args = parser.parse_args()
    splits = _splits(args.split)
    out = HERE / "reports"
    out.mkdir(exist_ok=True)
    pilot = Path(sys.executable).with_name("pilot")
    failed = 0
    for suite, split in splits.items():
        if args.only and suite not in args.only:
            continue
        started = time.perf_counter()
        command = suite_command(pilot, suite, args.data_dir, split)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        target = out / f"{suite}-{split or 'sample'}.json"
        if result.returncode == 0:
            target.write_text(result.stdout)
            print(f"{suite:>11}: ok in {elapsed:.0f} s -> {target.relative_to(HERE.parent)}")
        else:
            failed += 1
            print(f"{suite:>11}: failed ({result.returncode}) {result.stderr.strip()[-500:]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
