"""Cold `pilot ask`: a fresh process per question, on the bundled sample program with its
documents ingested, as a user runs it from a terminal. Goal: a retrieval question answered in
under 3 s on this machine.

    .venv/bin/python benchmarks/ask_cold_bench.py [--runs 5] [--backend onnx]

Prints, per question, the median and worst wall time and the median CPU time (user + system, all
threads) of the child processes, with the CPU model, flags, cores and load average: on a shared
machine the wall time swings with the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = {
    "retrieval": "What did Lucas say about the PCI segmentation?",
    "structured": "Which decisions are overdue?",
    "mixed": "What did we decide about the cutover date and why?",
}


def machine() -> dict[str, object]:
    info: dict[str, object] = {"cores": os.cpu_count(), "python": platform.python_version()}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip() for line in cpu.splitlines() if line.startswith("model name")
        )
        flags = next(line.split(":", 1)[1].split() for line in cpu.splitlines() if line.startswith("flags"))
        info["flags"] = " ".join(f for f in flags if f.startswith(("avx", "sse4", "fma", "amx")))
        info["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    except (OSError, StopIteration):
        pass
    return info


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", default=None, help="PILOT_EMBEDDING_BACKEND (default: pilot's default)")
    args = parser.parse_args()
    pilot = str(Path(sys.executable).with_name("pilot"))
    with tempfile.TemporaryDirectory(prefix="pilot-ask-bench-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PILOT_")}
        env["PILOT_DATA_DIR"] = folder
        if args.backend:
            env["PILOT_EMBEDDING_BACKEND"] = args.backend
        setup_started = time.perf_counter()
        subprocess.run([pilot, "demo", "--no-serve", "--json"], env=env, check=True, capture_output=True)
        report: dict[str, object] = {"setup_s": round(time.perf_counter() - setup_started, 1)}
        timed([pilot, "ask", "warm the page cache", "-p", "payments-migration"], env)
        for name, question in QUESTIONS.items():
            walls, cpus = [], []
            for _ in range(args.runs):
                wall, cpu = timed([pilot, "ask", question, "-p", "payments-migration", "--json"], env)
                walls.append(wall)
                cpus.append(cpu)
            report[name] = {
                "question": question,
                "wall_median_s": round(statistics.median(walls), 2),
                "wall_max_s": round(max(walls), 2),
                "cpu_median_s": round(statistics.median(cpus), 2),
            }
    report["backend"] = args.backend or "default"
    report["goal"] = {"retrieval_wall_s_max": 3.0}
    report["machine"] = machine()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
