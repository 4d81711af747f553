"""Test doubles for the index: an exact in-memory vector store with the interface of
`ChromaVectors`, and a bag-of-words embedder (no model, no network)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pilot.index.embedding import Vectors


def hashing_embedder(texts: Sequence[str]) -> Vectors:
    """Deterministic bag-of-words vectors: close texts share dimensions."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


class MemoryVectors:
    """Exact cosine search over vectors kept in a dict; `fail_writes` makes the next writes raise."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, tuple[np.ndarray, dict[str, Any]]]] = {}
        self.fail_writes = 0

    def replace_document(
        self,
        program_id: str,
        document_key: str,
        ids: Sequence[str],
        vectors: Vectors,
        metadatas: Sequence[Mapping[str, str | int | float | bool]],
    ) -> None:
        if self.fail_writes:
            self.fail_writes -= 1
            raise RuntimeError("vector store unavailable")
        rows = self.rows.setdefault(program_id, {})
        for chunk_id in [c for c, (_, m) in rows.items() if m.get("document_key") == document_key]:
            del rows[chunk_id]
        for chunk_id, vector, meta in zip(ids, vectors, metadatas, strict=True):
            rows[chunk_id] = (np.asarray(vector, dtype=np.float32), dict(meta))

    def query(
        self, program_id: str, vector: Vectors, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        rows = [(cid, row) for cid, row in self.rows.get(program_id, {}).items() if matches(row[1], where)]
        if not rows:
            return []
        scores = np.stack([row[0] for _, row in rows]) @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(rows[i][0], float(scores[i])) for i in order]


def matches(meta: Mapping[str, Any], where: Mapping[str, Any] | None) -> bool:
    """The subset of Chroma's `where` language the index uses: $and, $eq, $in, $gte, $lte."""
    if not where:
        return True
    if "$and" in where:
        return all(matches(meta, clause) for clause in where["$and"])
    for field, condition in where.items():
        value = meta.get(field)
        if not isinstance(condition, Mapping):
            condition = {"$eq": condition}
        for op, expected in condition.items():
            if (
                (op == "$eq" and value != expected)
                or (op == "$in" and value not in expected)
                or (op == "$gte" and (value is None or value < expected))
                or (op == "$lte" and (value is None or value > expected))
            ):
                return False
    return True
