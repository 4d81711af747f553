"""Ingest throughput and retrieval latency on QMSum transcript chunks.

    .venv/bin/python benchmarks/ingest_bench.py [--data-dir ../shared/evaldata] [--chunks 5000]
        [--latency-chunks 100000] [--json]

Prints chunks/s for (a) the bundled MiniLM through sentence-transformers on pilot's chunk texts,
(b) pilot's full ingest (store, chunk, embed, Chroma + the chunk rows and keyword index in SQL), (c) the plain recipe a user would
write (1,000-character chunks, the same model, Chroma with its own embedding function; LangChain's
Chroma integration when `langchain-chroma` and `langchain-huggingface` are installed, the same
calls on chromadb directly otherwise), (d) re-ingesting the unchanged corpus; then the p50/p95
latency of a program-scoped hybrid query (query embedding included) with `--latency-chunks`
chunks in the program, split into its parts (query embedding, vector search, keyword search,
fusion, record fetch) and for a repeated question (its vector cached), the keyword arm's own
latency (the database's full-text index), and the
vector arm's top-10 recall against exact search. The database is SQLite in a temporary folder, or
`--database-url` (a scratch PostgreSQL database: the bench upgrades it and adds programs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from pilot.domain.documents import Chunk, Document, DocumentKind
from pilot.evals.qmsum import load_split
from pilot.evals.recipe import recipe_chunks
from pilot.evals.retrieval import meeting_turns
from pilot.index.chunking import chunk_document
from pilot.index.embedding import MiniLMEmbedder, backend_label, embedder_for
from pilot.settings import Settings


def meetings_as_documents(data_dir: Path, program_id: str, chunks_wanted: int) -> list[Document]:
    docs: list[Document] = []
    total = 0
    for split in ("train", "val"):
        for meeting in load_split(data_dir, split):
            turns = meeting_turns(meeting)
            doc = Document(program_id=program_id, source="file", external_id=meeting.meeting_id,
                           kind=DocumentKind.TRANSCRIPT, title=meeting.meeting_id,
                           text="\n".join(t.text for t in turns), turns=turns)  # fmt: skip
            docs.append(doc)
            total += len(chunk_document(doc))
            if total >= chunks_wanted:
                return docs
    return docs


def bench_raw(texts: list[str], backend: str) -> float:
    """Chunk texts embedded one by one as texts (no overlap reuse), by the backend asked."""
    embed = embedder_for(Settings(embedding_backend=backend))
    embed(texts[:64])  # load the model outside the timing
    started = time.perf_counter()
    embed(texts)
    return len(texts) / (time.perf_counter() - started)


def bench_pilot(
    docs: list[Document], folder: Path, database_url: str | None, backend: str
) -> tuple[float, float, int]:
    from pilot.index import open_index
    from pilot.pipeline.admin import upgrade_database
    from pilot.pipeline.context import open_pilot
    from pilot.pipeline.ingest import IngestReport, index_pending
    from pilot.pipeline.programs import import_program_bytes
    from pilot.store.documents import upsert_document

    settings = Settings(data_dir=folder, database_url=database_url or f"sqlite:///{folder / 'bench.db'}",
                        embedding_backend=backend)  # fmt: skip
    upgrade_database(settings)
    ctx = open_pilot(settings)
    import_program_bytes(ctx, b"program: {id: bench, name: Bench}\n", source="bench.yaml")
    index = open_index(settings, ctx.db)
    index.embedder([docs[0].text[:100]])

    def ingest() -> IngestReport:
        report = IngestReport(program_id="bench", source="file")
        with ctx.db.transaction() as session:
            for doc in docs:
                upsert_document(session, doc, ctx.now())
        index_pending(ctx, "bench", index, report)
        return report

    started = time.perf_counter()
    first = ingest()
    full = first.indexed_chunks / (time.perf_counter() - started)
    started = time.perf_counter()
    again = ingest()
    seconds = time.perf_counter() - started
    assert again.indexed_chunks == 0, "re-ingest re-indexed unchanged documents"
    ctx.close()
    return full, first.indexed_chunks / seconds, first.indexed_chunks


def bench_recipe(docs: list[Document], folder: Path) -> tuple[float, int, str]:
    texts = ["\n".join(f"{t.speaker}: {t.text}" for t in doc.turns) for doc in docs]
    try:
        from langchain_chroma import Chroma
        from langchain_core.embeddings import Embeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        class MiniLM(
            Embeddings
        ):  # langchain-huggingface does not install beside our pins; same model, same calls
            def __init__(self) -> None:
                self.embed = MiniLMEmbedder(batch_size=32)

            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return [list(map(float, row)) for row in self.embed(texts)]

            def embed_query(self, text: str) -> list[float]:
                return list(map(float, self.embed([text])[0]))

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        chunks = [c for text in texts for c in splitter.split_text(text)]
        embedding = MiniLM()
        embedding.embed_query("warm up")
        started = time.perf_counter()
        store = Chroma(
            collection_name="recipe", embedding_function=embedding, persist_directory=str(folder / "recipe")
        )
        store.add_texts(chunks)
        return (
            len(chunks) / (time.perf_counter() - started),
            len(chunks),
            "langchain-chroma + RecursiveCharacterTextSplitter",
        )
    except ImportError:
        import chromadb

        chunks = [chunk for text in texts for chunk in recipe_chunks(text)]
        embed = MiniLMEmbedder()
        started = time.perf_counter()
        client = chromadb.PersistentClient(path=str(folder / "recipe"))
        collection = client.get_or_create_collection("recipe", embedding_function=None)
        for start in range(0, len(chunks), 1000):
            part = chunks[start : start + 1000]
            collection.add(
                ids=[f"c{start + i}" for i in range(len(part))], documents=part, embeddings=embed(part)
            )
        return len(chunks) / (time.perf_counter() - started), len(chunks), "chromadb + sentence-transformers"


def bench_latency(
    texts: list[str], size: int, folder: Path, database_url: str | None, queries: int = 200
) -> dict[str, Any]:
    """A program of `size` chunks: real vectors of real chunk texts, repeated with small noise,
    written through the index (vectors, chunk rows, keyword index) in documents of 1,000 chunks."""
    from pilot.index.chroma_store import ChromaVectors
    from pilot.index.hybrid import DocumentIndex
    from pilot.index.terms import keyword_terms
    from pilot.pipeline.admin import upgrade_database
    from pilot.pipeline.context import open_pilot
    from pilot.pipeline.programs import import_program_bytes
    from pilot.store.chunks import keyword_search

    settings = Settings(data_dir=folder, database_url=database_url or f"sqlite:///{folder / 'latency.db'}")
    upgrade_database(settings)
    ctx = open_pilot(settings)
    for program in ("big", "small"):
        import_program_bytes(
            ctx, f"program: {{id: {program}, name: {program}}}\n".encode(), source="bench.yaml"
        )
    embed = embedder_for(Settings())  # the configured backend, as pilot would query
    base = embed(texts)
    rng = np.random.default_rng(7)
    reps = int(np.ceil(size / len(base)))
    vectors = np.concatenate(
        [base + rng.normal(0, 0.02, base.shape).astype(np.float32) for _ in range(reps)]
    )[:size]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = ChromaVectors(path=folder / "latency")
    index = DocumentIndex(ctx.db, store, embed)
    started = time.perf_counter()
    for program, count in (("big", size), ("small", 100)):  # another program beside it
        for first in range(0, count, 1000):
            rows = range(first, min(first + 1000, count))
            doc = Document(program_id=program, source="file", external_id=f"d{first // 1000}",
                           kind=DocumentKind.TRANSCRIPT, text="-")  # fmt: skip
            chunks = [Chunk(id=f"{program}-{i}", program_id=program, document_key=doc.key, text=texts[i % len(texts)],
                            metadata={"program_id": program, "document_key": doc.key, "source": "file",
                                      "kind": "transcript", "chunk": i - first})
                      for i in rows]  # fmt: skip
            index.write_chunks(doc, chunks, vectors[first : first + len(chunks)])
    build_s = time.perf_counter() - started
    index.search("big", "warm up the index")
    questions = [texts[int(i)][:120] for i in rng.integers(0, len(texts), queries)]
    latencies, keyword_latencies, repeated = [], [], []
    parts: dict[str, list[float]] = {}
    for question in questions:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        index.search("big", question, k=10, timings=timings)
        latencies.append((time.perf_counter() - started) * 1000)
        for part, ms in timings.items():
            parts.setdefault(part, []).append(ms)
        started = time.perf_counter()
        with ctx.db.reading() as session:
            keyword_search(session, "big", keyword_terms(question), 50)
        keyword_latencies.append((time.perf_counter() - started) * 1000)
    for question in questions[:50]:  # asked again: the question's vector comes from the cache
        started = time.perf_counter()
        index.search("big", question, k=10)
        repeated.append((time.perf_counter() - started) * 1000)
    recall_hits = 0
    probe = rng.integers(0, size, 100)
    for i in probe:
        exact = set(np.argsort(-(vectors @ vectors[i]))[:10])
        found = {int(cid.split("-")[1]) for cid, _ in store.query("big", vectors[i], 10)}
        recall_hits += len(exact & found)
    ctx.close()
    return {
        "database": ctx.db.engine.dialect.name,
        "chunks_in_program": size,
        "build_seconds": round(build_s, 1),
        "hybrid_query_ms_p50": _percentile(latencies, 50),
        "hybrid_query_ms_p95": _percentile(latencies, 95),
        "keyword_arm_ms_p50": _percentile(keyword_latencies, 50),
        "keyword_arm_ms_p95": _percentile(keyword_latencies, 95),
        "parts_ms_p50_p95": {part: [_percentile(v, 50), _percentile(v, 95)] for part, v in parts.items()},
        "repeated_question_ms_p50_p95": [_percentile(repeated, 50), _percentile(repeated, 95)],
        "vector_top10_recall_vs_exact": round(recall_hits / (10 * len(probe)), 3),
        "goals": {"p95_ms_max": 25, "recall_min": 0.95},
    }


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    if percent == 50:
        return round(statistics.median(ordered), 1)
    return round(ordered[int(percent / 100 * len(ordered)) - 1], 1)


FLAGS_SHOWN = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8", "asimddp", "i8mm")


def machine() -> dict[str, Any]:
    """CPU model, the flags that decide the embedding backend, cores and load average, printed
    beside the figures (benchmarks here share the machine)."""
    from pilot.index.embedding import cpu_flags
    from pilot.index.onnx_embedding import physical_cores

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)  # fmt: skip
    flags = cpu_flags()
    return {"cpu": cpu, "flags": " ".join(f for f in FLAGS_SHOWN if f in flags) or "none of " + "/".join(FLAGS_SHOWN),
            "cores": f"{physical_cores()} physical, {os.cpu_count()} logical", "load": load()}  # fmt: skip


def load() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.is_file() else "unknown"


def note(what: str) -> None:
    print(f"[ingest_bench] {what}", file=sys.stderr, flush=True)


def default_data_dir() -> Path:
    here = Path(__file__).resolve()
    candidates = [here.parents[2] / "shared" / "evaldata", here.parents[3] / "shared" / "evaldata"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--latency-chunks", type=int, default=100_000)
    parser.add_argument("--only", choices=["ingest", "latency"], help="Run one part.")
    parser.add_argument("--backends", default="configured",
                        help="Comma-separated embedding backends for the ingest part, side by side against one "
                             "recipe run: configured (PILOT_EMBEDDING_BACKEND, default auto), auto, onnx, "
                             "onnx-int8, torch; 'all' = configured,onnx,onnx-int8,torch.")  # fmt: skip
    parser.add_argument("--database-url", help="A scratch database (default: SQLite in a temporary folder).")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backends = (
        ["configured", "onnx", "onnx-int8", "torch"] if args.backends == "all" else args.backends.split(",")
    )
    docs = meetings_as_documents(args.data_dir, "bench", args.chunks)
    texts = [c.text for doc in docs for c in chunk_document(doc)]
    report: dict[str, Any] = {"machine": machine(), "documents": len(docs), "chunks": len(texts),
                              "mean_chunk_words": round(sum(len(t.split()) for t in texts) / len(texts), 1)}  # fmt: skip
    words = sum(len(t.text.split()) for doc in docs for t in doc.turns)
    report["corpus_words"] = words
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.only in (None, "ingest"):
            report["ingest"] = bench_ingest(docs, texts, words, backends, folder, args.database_url)
        if args.latency_chunks and args.only in (None, "latency"):
            note("latency at the program size asked")
            before = load()
            report["latency"] = bench_latency(
                texts[:5000], args.latency_chunks, folder / "latency", args.database_url
            )
            report["latency"].update(backend=backend_label(Settings()), load_before=before, load_after=load())
    report["goals"] = {"pilot_over_recipe_corpus_speed_min": 2.0, "reingest_over_ingest_min": 50}
    report["machine"]["load_after"] = load()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


def bench_ingest(docs: list[Document], texts: list[str], words: int, backends: list[str], folder: Path,
                 database_url: str | None) -> dict[str, Any]:  # fmt: skip
    """Per backend: raw embedding of the chunk texts, pilot's ingest and re-ingest; the recipe once,
    after the first backend, in the same run (chunk sizes differ, so speeds compare in corpus words/s)."""
    out: dict[str, Any] = {}
    recipe: dict[str, Any] = {}
    for n, asked in enumerate(backends):
        backend = Settings().embedding_backend if asked == "configured" else asked
        label = backend_label(Settings(embedding_backend=backend))
        before = load()
        note(f"{label}: raw embedding")
        raw = bench_raw(texts, backend)
        note(f"{label}: pilot ingest, re-ingest")
        full, again, chunks = bench_pilot(docs, folder / f"pilot-{n}", database_url, backend)
        out[asked] = {"backend": label, "raw_chunks_per_s": round(raw, 1), "ingest_chunks": chunks,
                      "ingest_chunks_per_s": round(full, 1), "ingest_corpus_words_per_s": round(words * full / chunks, 1),
                      "reingest_over_ingest": round(again / full, 1), "load_before": before, "load_after": load()}  # fmt: skip
        if not recipe:
            before = load()
            note("plain recipe (sentence-transformers on torch)")
            speed, recipe_chunk_count, how = bench_recipe(docs, folder)
            recipe = {"implementation": how, "chunks": recipe_chunk_count, "chunks_per_s": round(speed, 1),
                      "corpus_words_per_s": round(words * speed / recipe_chunk_count, 1),
                      "load_before": before, "load_after": load()}  # fmt: skip
    for figures in out.values():
        figures["over_recipe"] = round(figures["ingest_corpus_words_per_s"] / recipe["corpus_words_per_s"], 2)
    out["recipe"] = recipe
    return out


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(
        f"machine: {m['cpu']} | flags: {m['flags']} | cores: {m['cores']} | load {m['load']} -> {m['load_after']}"
    )
    print(f"corpus: {report['documents']} meetings, {report['corpus_words']} words, {report['chunks']} pilot chunks "
          f"of {report['mean_chunk_words']} words")  # fmt: skip
    ingest = report.get("ingest")
    if ingest:
        r = ingest["recipe"]
        print(
            f"{'backend':<22}{'raw chunks/s':>13}{'ingest words/s':>16}{'x recipe':>10}{'re-ingest x':>13}  load before -> after"
        )
        for asked, f in ingest.items():
            if asked != "recipe":
                print(f"{f['backend']:<22}{f['raw_chunks_per_s']:>13}{f['ingest_corpus_words_per_s']:>16}"
                      f"{f['over_recipe']:>10}{f['reingest_over_ingest']:>13}  {f['load_before']} -> {f['load_after']}")  # fmt: skip
        print(f"{'recipe (torch)':<22}{r['chunks_per_s']:>13}{r['corpus_words_per_s']:>16}{1.0:>10}{'':>13}  "
              f"{r['load_before']} -> {r['load_after']}   [{r['implementation']}, {r['chunks']} chunks]")  # fmt: skip
    if "latency" in report:
        print("latency:", json.dumps(report["latency"]))
    print("goals:", report["goals"])


if __name__ == "__main__":
    sys.exit(main())
