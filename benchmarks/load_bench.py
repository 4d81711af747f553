"""Load on `pilot serve` with the embedded default (SQLite + embedded index) and the sample program:
N concurrent clients for a fixed time, each looping over a mix of what people do at once -- pages
and API reads, questions, transcript submissions, approvals -- as a separate process from the
server, over real HTTP.

    .venv/bin/python benchmarks/load_bench.py [--clients 50] [--seconds 60] [--data-dir DIR]

`--data-dir` reuses a directory made by an earlier run (the demo load takes minutes on a busy
machine); by default a fresh one is made with `pilot demo --no-serve`. Prints requests/s, p50, p95,
p99 and max per endpoint, every status class, the 5xx count (goal: 0) and the tracebacks in the
server log, with the CPU model, cores and load average before and after: on a shared machine the
latencies move with the load, so read them with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROGRAM = "payments-migration"
ROOT = Path(__file__).resolve().parent.parent
PILOT = str(Path(sys.executable).parent / "pilot")
QUESTIONS = [
    "Which decisions are overdue?",
    "What is at risk for the next milestone?",
    "What did we decide about the cutover date and why?",
    "Who owns the refund backfill?",
]
TRANSCRIPT = (
    "Priya: Marcus, can you finish the refund backfill by Friday?\n"
    "Marcus: Yes, I'll finish the refund backfill by Friday.\n"
    "Lucas: We decided to keep the cutover on the first of December.\n"
    "Priya: Risk: the PCI segmentation review may slip a week.\n"
)


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        text = Path("/proc/cpuinfo").read_text()
        cpu = next(
            line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """The sample program loaded (documents indexed, drafts waiting) and a token per role."""
    tokens_file = data_dir / "load_bench_tokens.json"
    if tokens_file.exists():
        return dict(json.loads(tokens_file.read_text()))
    print(f"loading the sample program into {data_dir} (pilot demo --no-serve) ...", flush=True)
    out = subprocess.run(
        [PILOT, "demo", "--no-serve", "--json"], env=env, capture_output=True, text=True, check=True
    )
    tokens = {"admin": json.loads(out.stdout)["admin_token"]}
    for role in ("viewer", "editor", "approver"):
        made = subprocess.run(
            [PILOT, "token", "create", "--user", f"bench-{role}", "--role", role, "--program", PROGRAM, "--json"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        tokens[role] = str(json.loads(made.stdout)["token"])
    tokens_file.write_text(json.dumps(tokens))
    return tokens


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples_5xx: list[str] = field(default_factory=list)

    def record(self, name: str, seconds: float, status: int, body: str = "") -> None:
        self.latencies[name].append(seconds)
        self.statuses[name][status] += 1
        if status >= 500 and len(self.samples_5xx) < 10:
            self.samples_5xx.append(f"{name} {status} {body[:200]}")


class Client:
    """One simulated person: a role's token, a web session cookie, a loop over the mix."""

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str], stats: Stats, seed: int) -> None:
        self.http, self.tokens, self.stats = http, tokens, stats
        self.rng = random.Random(seed)
        self.document_ids: list[int] = []

    async def call(
        self, name: str, method: str, url: str, role: str = "viewer", **kw: object
    ) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if url == "/" or url.startswith("/p/"):
            headers = {"Cookie": f"pilot_session={self.tokens[role]}"}
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.stats.errors[f"{name}: {type(exc).__name__}"] += 1
            return None
        self.stats.record(name, time.perf_counter() - started, response.status_code, response.text)
        return response

    async def step(self) -> None:
        p = f"/programs/{PROGRAM}"
        roll = self.rng.random()
        if roll < 0.40:  # pages
            choice = self.rng.choice(["home", "anomalies", "review", "plan", "people", "status", "document"])
            url = {
                "home": "/",
                "anomalies": f"/p/{PROGRAM}/anomalies",
                "review": f"/p/{PROGRAM}/review",
                "plan": f"/p/{PROGRAM}/plan",
                "people": f"/p/{PROGRAM}/people",
                "status": f"/p/{PROGRAM}/status",
                "document": f"/p/{PROGRAM}/documents/{self.rng.choice(self.document_ids or [1])}",
            }[choice]
            await self.call(f"page {choice}", "GET", url)
        elif roll < 0.70:  # API reads
            choice = self.rng.choice(["anomalies", "drafts", "documents", "kpis", "program", "audit"])
            url = {
                "anomalies": f"{p}/anomalies",
                "drafts": f"{p}/drafts",
                "documents": f"{p}/documents?limit=50",
                "kpis": f"{p}/kpis",
                "program": p,
                "audit": f"{p}/audit?limit=50",
            }[choice]
            response = await self.call(f"api {choice}", "GET", url)
            if choice == "documents" and response is not None and response.status_code == 200:
                self.document_ids = [d["id"] for d in response.json()][:50]
        elif roll < 0.80:  # ask
            await self.call("api ask", "POST", f"{p}/ask", json={"question": self.rng.choice(QUESTIONS)})
        elif roll < 0.88:  # extract a transcript
            data = {"text": TRANSCRIPT, "filename": f"standup-{self.rng.randrange(10**9)}.txt"}
            await self.call("api extract", "POST", f"{p}/extract", role="editor", data=data)
        elif roll < 0.97:  # approve a pending draft (races between clients answer 409, as they should)
            drafts = await self.call("api drafts", "GET", f"{p}/drafts?kind=action_item")
            pending = drafts.json() if drafts is not None and drafts.status_code == 200 else []
            clean = [d["id"] for d in pending if not d["findings"]]
            if clean:
                draft_id = self.rng.choice(clean)
                await self.call(
                    "api approve", "POST", f"{p}/drafts/{draft_id}/approve", role="approver", json={}
                )
        else:  # bulk approval (a job; answers when done or 202)
            await self.call(
                "api bulk-approve", "POST", f"{p}/drafts/bulk-approve?wait=5", role="approver", json={}
            )


async def run_load(base: str, tokens: dict[str, str], clients: int, seconds: float) -> tuple[Stats, float]:
    stats = Stats()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        deadline = time.monotonic() + seconds
        people = [Client(http, tokens, stats, seed) for seed in range(clients)]

        async def loop(person: Client) -> None:
            while time.monotonic() < deadline:
                await person.step()

        started = time.monotonic()
        await asyncio.gather(*(loop(person) for person in people))
        return stats, time.monotonic() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(
    stats: Stats, elapsed: float, before: dict[str, object], after: dict[str, object], log: Path
) -> int:
    total = sum(len(v) for v in stats.latencies.values())
    fivexx = sum(n for codes in stats.statuses.values() for code, n in codes.items() if code >= 500)
    print(f"\n{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s")
    print(f"{'endpoint':<22}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses")
    for name in sorted(stats.latencies):
        ms = [x * 1000 for x in stats.latencies[name]]
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(stats.statuses[name].items()))
        print(
            f"{name:<22}{len(ms):>6}{statistics.median(ms):>9.0f}{pct(ms, 0.95):>9.0f}"
            f"{pct(ms, 0.99):>9.0f}{max(ms):>9.0f}  {codes}"
        )
    reads = [x for n, v in stats.latencies.items() if n.startswith(("page", "api")) and n.split()[1] in
             ("home", "anomalies", "review", "plan", "people", "status", "document", "drafts", "documents",
              "kpis", "program", "audit") for x in v]  # fmt: skip
    if reads:
        print(
            f"all reads: p50 {statistics.median(reads) * 1000:.0f} ms, p95 {pct(reads, 0.95) * 1000:.0f} ms"
        )
    print(f"5xx answers: {fivexx}")
    for sample in stats.samples_5xx:
        print(f"  {sample}")
    for what, n in sorted(stats.errors.items()):
        print(f"client errors: {what}: {n}")
    text = log.read_text(errors="replace") if log.exists() else ""
    print(f"server log {log}: {text.count('Traceback (most recent call last)')} tracebacks")
    print(f"CPU: {before['cpu']}, {before['cores']} cores")
    print(f"load average before: {before['load']}; after: {after['load']}")
    return 1 if fivexx else 0


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"pilot serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("pilot serve did not answer /health")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--data-dir", type=Path, help="reuse (or make) the sample program's data here")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="pilot-load-"))
    env = {**os.environ, "PILOT_DATA_DIR": str(data_dir.resolve())}
    env.pop("PILOT_DATABASE_URL", None)
    tokens = prepare(data_dir, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = data_dir / "load_bench_server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [PILOT, "serve", "--port", str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            wait_healthy(base, server)
            before = machine()
            print(f"{args.clients} clients for {args.seconds:.0f} s against {base} ...", flush=True)
            stats, elapsed = asyncio.run(run_load(base, tokens, args.clients, args.seconds))
            after = machine()
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    code = report(stats, elapsed, before, after, log)
    if args.data_dir is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
