"""Map-reduce extraction against a chat-completions server of fixed latency: wall time by concurrency.

    .venv/bin/python benchmarks/llm_extract_bench.py [--turns 600] [--latency 0.3] [--json]

The server is simulated in-process (respx) with a fixed delay per call and an empty extraction, so
the figure measures pilot's side: chunking, the parallel map under `PILOT_LLM_MAX_CONCURRENCY`, the
adapter (request building, validation, usage) and the reduce. The transcript is synthetic filler
(no eval data). Prints the machine (CPU model, cores, load) beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import httpx
import respx

from pilot.chains.chunking import chunk_turns
from pilot.chains.engine import ExtractionContext
from pilot.chains.extraction import LLMExtractor
from pilot.chains.llm import RetryPolicy
from pilot.chains.llm_openai import build_llm
from pilot.domain.documents import Turn
from pilot.settings import Settings

BASE = "http://bench.invalid/v1"
EMPTY = json.dumps({"action_items": [], "decisions": [], "raid": [], "open_questions": []})
SPEAKERS = ("Dana Whitfield", "Omar Farouk", "Priya Raman", "Jordan Ellis")


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").is_file() else []
    return {"cpu": cpu, "cores": os.cpu_count(), "load": " ".join(load)}


def transcript(turns: int) -> list[Turn]:
    return [
        Turn(
            index=i,
            speaker=SPEAKERS[i % 4],
            text=f"Point {i}: the cutover step {i % 17} needs a second look "
            f"before wave {i % 3 + 1}, and the runbook section {i % 11} should say who signs off.",
        )
        for i in range(turns)
    ]


def answer(latency: float) -> Any:
    def respond(_request: httpx.Request) -> httpx.Response:
        time.sleep(latency)
        body = {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": "bench-model",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": EMPTY}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1500, "completion_tokens": 40, "total_tokens": 1540},
        }
        return httpx.Response(200, json=body)

    return respond


def run(turns: list[Turn], concurrency: int, latency: float) -> dict[str, Any]:
    settings = Settings(llm_base_url=BASE, llm_model="bench-model", llm_max_concurrency=concurrency)
    llm = build_llm(settings, policy=RetryPolicy(max_retries=0))
    engine = LLMExtractor(llm=llm, max_chunk_tokens=1500, overlap_tokens=150, max_concurrency=concurrency)
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE}/chat/completions").mock(side_effect=answer(latency))
        start = time.perf_counter()
        result = engine.run(turns, ExtractionContext(title="bench"))
        seconds = time.perf_counter() - start
    return {
        "concurrency": concurrency,
        "chunks": result.chunks,
        "calls": result.usage.calls,
        "seconds": round(seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per simulated call")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    turns = transcript(args.turns)
    chunks = len(chunk_turns(turns, max_tokens=1500, overlap_tokens=150))
    rows = [run(turns, concurrency, args.latency) for concurrency in (1, 2, 4, 8)]
    base = rows[0]["seconds"]
    for row in rows:
        row["speedup"] = round(base / row["seconds"], 2)
    report = {
        "machine": machine(),
        "turns": args.turns,
        "chunks": chunks,
        "latency_s": args.latency,
        "runs": rows,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['machine']}  {args.turns} turns -> {chunks} chunks, {args.latency}s per call")
    for row in rows:
        print(
            f"  concurrency {row['concurrency']}: {row['seconds']:.2f}s for {row['calls']} calls ({row['speedup']}x)"
        )


if __name__ == "__main__":
    main()
