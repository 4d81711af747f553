"""Run every `pilot eval` suite and write one JSON report per suite to evals/reports/.

    .venv/bin/python evals/run_all.py [--data-dir ../shared/evaldata] [--split dev]

The suites live in `pilot.evals` (so `pilot eval <suite>` works from an installed package);
this script is the reproducible entry point that runs them all with the same arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# suite -> extra arguments; suites that read the public eval data get --data-dir and --split.
SUITES: dict[str, bool] = {"extraction": True, "retrieval": True, "qa": True, "grounding": False}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(HERE.parent.parent / "shared" / "evaldata"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--only", nargs="*", help="suites to run (default: all)")
    args = parser.parse_args()
    out = HERE / "reports"
    out.mkdir(exist_ok=True)
    pilot = Path(sys.executable).with_name("pilot")
    failed = 0
    for suite, uses_data in SUITES.items():
        if args.only and suite not in args.only:
            continue
        command = [str(pilot), "eval", suite, "--json"]
        if uses_data:
            command += ["--data-dir", args.data_dir, "--split", args.split]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        target = out / f"{suite}-{args.split if uses_data else 'sample'}.json"
        if result.returncode == 0:
            target.write_text(result.stdout)
            print(f"{suite:>11}: ok in {elapsed:.0f} s -> {target.relative_to(HERE.parent)}")
        else:
            failed += 1
            print(f"{suite:>11}: failed ({result.returncode}) {result.stderr.strip()[-500:]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
