"""Server mode at scale, on the local cluster recipe (scripts/cluster.py: PostgreSQL with the
procrastinate queue, a Chroma server, two API processes, workers as asked).

    .venv/bin/python benchmarks/scale_bench.py [--data-dir ../shared/evaldata] [--chunks 40000]
        [--programs 20] [--transcripts 8] [--queries 200] [--json]

Prints: extraction throughput (transcripts/min, offline engine, each job also indexing its
transcript; real QMSum val meetings, different ones per run) with 1 and then 2 workers;
`pilot ingest` words/s of QMSum meetings into one program
until it holds `--chunks` chunks; hybrid query p50/p95 through the API (HTTP, query embedding
included) on that program with `--programs` programs present; the wall time of a cold
`pilot search` (a new process) on it; the RSS of an API process before and after searching each
program once. Also the CPU model, cores and load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from pilot.evals.retrieval import load_split

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from ingest_bench import _percentile, machine  # noqa: E402  (the same figures and machine line as ingest_bench)

from cluster import SAMPLE, Cluster, sample_program  # noqa: E402

BIG = "scale-big"


def note(what: str) -> None:
    print(f"[scale_bench {time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def call(cluster: Cluster, api: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method, cluster.api_urls[api] + path, headers=cluster.headers(), timeout=600, **kwargs
    )


def meeting_texts(data_dir: Path, count: int) -> list[str]:
    """Real meetings as pasted transcripts (QMSum val, shortest first so a run stays minutes long)."""
    meetings = sorted(load_split(data_dir, "val"), key=lambda m: sum(len(t.text.split()) for t in m.turns))
    return [transcript(meeting.turns) for meeting in meetings[:count]]


def transcript(turns: Any) -> str:
    return "".join(f"{t.speaker or 'Speaker'}: {t.text}\n" for t in turns)


def extraction_throughput(cluster: Cluster, workers: int, texts: list[str]) -> float:
    """Transcripts/min with `workers` workers: one short warm-up job per worker (models loaded
    before the clock starts), then every text submitted at once."""
    while len(cluster.worker_procs()) < workers:
        cluster.start_worker(len(cluster.procs))
    warm = [submit_extraction(cluster, f"Ana: warm-up {workers}-{w}, I'll send the notes by Friday.\n")
            for w in range(workers)]  # fmt: skip
    wait_all(cluster, warm)
    started = time.monotonic()
    jobs = [submit_extraction(cluster, text) for text in texts]
    wait_all(cluster, jobs)
    return len(texts) / ((time.monotonic() - started) / 60)


def submit_extraction(cluster: Cluster, text: str) -> str:
    response = call(cluster, 0, "POST", f"/programs/{SAMPLE}/extract", data={"text": text})
    response.raise_for_status()
    return str(response.json()["job"]["id"])


def wait_all(cluster: Cluster, job_ids: list[str], timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    pending = set(job_ids)
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            job = call(cluster, 1, "GET", f"/programs/{SAMPLE}/jobs/{job_id}").json()
            if job["status"] == "failed":
                raise RuntimeError(f"job {job_id} failed: {job['error']}")
            if job["status"] == "succeeded":
                pending.discard(job_id)
        time.sleep(0.5)
    if pending:
        raise RuntimeError(f"{len(pending)} jobs did not finish")


def add_programs(cluster: Cluster, count: int, folder: Path) -> list[str]:
    """`count` programs with a notes document each, written in this process (one model load)."""
    from pilot.pipeline.context import open_pilot
    from pilot.pipeline.ingest import ingest_paths
    from pilot.pipeline.programs import import_program_file
    from pilot.settings import Settings

    settings = Settings(
        data_dir=cluster.root / "bench", database_url=cluster.database_url, chroma_url=cluster.chroma_url
    )
    pilot = open_pilot(settings, actor="bench")
    base = sample_program().read_text()
    ids = [BIG] + [f"scale-{i:02d}" for i in range(1, count)]
    try:
        for program_id in ids:
            path = folder / f"{program_id}.yaml"
            path.write_text(base.replace("id: payments-migration", f"id: {program_id}", 1))
            import_program_file(pilot, path)
            notes = folder / f"{program_id}-notes.md"
            notes.write_text(
                f"Ana: the {program_id} vendor contract is late.\nBen: I'll chase it by Friday.\n"
            )
            ingest_paths(pilot, program_id, [notes])
    finally:
        pilot.close()
    return ids


def ingest_meetings(cluster: Cluster, data_dir: Path, chunks: int, folder: Path) -> dict[str, Any]:
    """QMSum meetings as transcript files, ingested with `pilot ingest` until the program holds
    `chunks` chunks (60-word chunks overlapping by a turn hold about 33 words of new text each:
    35 per chunk asked lands just past `chunks`)."""
    meetings = [m for split in ("train", "val") for m in load_split(data_dir, split)]
    words = 0
    files: list[Path] = []
    copy = 0
    # QMSum's public splits hold ~1.5M words: past them, meetings come again under a new name
    # (new documents, so they are chunked and embedded again like any other).
    while words < chunks * 35:
        for meeting in meetings:
            path = folder / f"{meeting.meeting_id}{f'-copy{copy}' if copy else ''}.txt"
            path.write_text(transcript(meeting.turns))
            words += sum(len(t.text.split()) for t in meeting.turns)
            files.append(path)
            if words >= chunks * 35:
                break
        copy += 1
    started = time.monotonic()
    out = cluster.cli("ingest", *map(str, files), "--program", BIG, "--json", timeout=6 * 3600)
    elapsed = time.monotonic() - started
    report = json.loads(out)
    return {
        "files": len(files),
        "words": words,
        "seconds": round(elapsed, 1),
        "words_per_s": round(words / elapsed),
        "chunks": report.get("indexed_chunks"),
    }


def query_latency(cluster: Cluster, queries: list[str]) -> dict[str, Any]:
    """p50/p95 of the client's wall time per search, and of each part the API reports in its
    Server-Timing header (what is left is HTTP, authentication and serialization)."""
    url = cluster.api_urls[0] + f"/programs/{BIG}/search"
    latencies: list[float] = []
    parts: dict[str, list[float]] = {}
    # One client with a kept-alive connection, as a browser or service would use: a new client per
    # request costs ~30 ms of its own (TLS context, connection) that the server never sees.
    with httpx.Client(headers=cluster.headers(), timeout=600) as client:
        client.get(url, params={"q": "warm up"}).raise_for_status()
        for q in queries:
            started = time.perf_counter()
            response = client.get(url, params={"q": q, "k": 10})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            for item in response.headers.get("server-timing", "").split(","):
                name, _, duration = item.strip().partition(";dur=")
                if duration:
                    parts.setdefault(name, []).append(float(duration))
    return {
        **percentiles(latencies),
        "server_parts_ms_p50_p95": {
            name: list(percentiles(values).values()) for name, values in parts.items()
        },
    }


def percentiles(values: list[float]) -> dict[str, float]:
    return {"p50_ms": _percentile(values, 50), "p95_ms": _percentile(values, 95)}


def cold_search(cluster: Cluster, runs: int = 3) -> list[float]:
    """Wall seconds of `pilot search` in a new process (imports, model load, connections, the
    query), `runs` times: one run can land on the database's or Chroma's background work."""
    seconds = []
    for _ in range(runs):
        started = time.monotonic()
        cluster.cli("search", "settlement file format", "--program", BIG, name="cold-search")
        seconds.append(round(time.monotonic() - started, 2))
    return seconds


def rss_after_programs(cluster: Cluster, programs: list[str]) -> dict[str, float]:
    api = next(p for p in cluster.procs if p.name == "api-1")
    call(cluster, 1, "GET", f"/programs/{SAMPLE}/search", params={"q": "cutover"}).raise_for_status()
    before = rss_mb(api.pid)
    for program_id in programs:
        call(
            cluster, 1, "GET", f"/programs/{program_id}/search", params={"q": "vendor contract"}
        ).raise_for_status()
    return {"after_1_program_mb": round(before), f"after_{len(programs)}_programs_mb": round(rss_mb(api.pid))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "evaldata"
    )
    parser.add_argument("--chunks", type=int, default=40_000)
    parser.add_argument("--programs", type=int, default=20)
    parser.add_argument("--transcripts", type=int, default=8)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine_at_start": machine()}
    cluster = Cluster(apis=2, workers=0)
    folder = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    try:
        note(f"machine {results['machine_at_start']}")
        note("starting the cluster")
        cluster.start()
        texts = meeting_texts(args.data_dir, 2 * args.transcripts)
        for workers in (1, 2):
            note(f"extraction with {workers} worker(s)")
            batch = texts[workers - 1 :: 2]  # alternate meetings: both runs get the same mix of lengths
            rate = extraction_throughput(cluster, workers, batch)
            results[f"extraction_transcripts_per_min_{workers}_workers"] = round(rate, 2)
            note(f"  {rate:.2f} transcripts/min")
        note(f"{args.programs} programs")
        programs = add_programs(cluster, args.programs, folder)
        note(f"ingesting QMSum into {BIG} up to {args.chunks} chunks")
        results["ingest"] = ingest_meetings(cluster, args.data_dir, args.chunks, folder)
        note(f"  {results['ingest']}")
        note("hybrid queries through the API")
        texts = [
            line.split(": ", 1)[-1][:120]
            for f in sorted(folder.glob("*.txt"))[:40]
            for line in f.read_text().splitlines()[:20]
            if len(line) > 40
        ]
        step = max(1, len(texts) // args.queries)
        results["hybrid_query_api"] = query_latency(cluster, texts[::step][: args.queries])
        note(f"  {results['hybrid_query_api']}")
        results["cold_pilot_search_s"] = cold_search(cluster)
        note(f"  cold pilot search {results['cold_pilot_search_s']} s")
        results["api_rss"] = rss_after_programs(cluster, programs)
        note(f"  API RSS {results['api_rss']}")
        results["machine_at_end"] = machine()
    finally:
        cluster.stop()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for key, value in results.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
