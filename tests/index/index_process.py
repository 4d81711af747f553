"""A second pilot process for the cross-process tests: reads commands on stdin, answers one JSON
line each. Run as `python -m tests.index.index_process DATA_DIR DATABASE_URL` from the repository.

    search QUERY              -> [[document_key, keyword_rank, vector_rank], ...] (program "p")
    vectors N SEED            -> writes N random vectors as document "child:SEED" straight to the vector store
    count                     -> how many vectors of program "p" a query can reach
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from pilot.index.chroma_store import ChromaVectors
from pilot.pipeline.context import open_pilot
from pilot.pipeline.search import search_program, use_embedder
from pilot.settings import Settings
from tests.index.fakes import hashing_embedder

PROGRAM = "p"


def random_vectors(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, 256)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def write_vectors(store: ChromaVectors, n: int, seed: int) -> None:
    key = f"child:{seed}"
    metas = [{"program_id": PROGRAM, "document_key": key} for _ in range(n)]
    store.replace_document(PROGRAM, key, [f"{seed}-{i}" for i in range(n)], random_vectors(n, seed), metas)


def reachable(store: ChromaVectors) -> int:
    return len(store.query(PROGRAM, random_vectors(1, 0)[0], 100_000))


def main() -> None:
    data_dir, database_url = Path(sys.argv[1]), sys.argv[2]
    pilot = open_pilot(Settings(data_dir=data_dir, database_url=database_url))
    use_embedder(pilot, hashing_embedder)
    store = ChromaVectors(path=data_dir / "chroma")
    print(json.dumps("ready"), flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "search":
            hits = search_program(pilot, PROGRAM, argument, k=5)
            answer: object = [[h.document_key, h.keyword_rank, h.vector_rank] for h in hits]
        elif command == "vectors":
            n, seed = argument.split()
            write_vectors(store, int(n), int(seed))
            answer = "ok"
        elif command == "count":
            answer = reachable(store)
        else:
            answer = f"unknown command {command!r}"
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
