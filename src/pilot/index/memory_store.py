"""An exact, in-memory vector arm with the same interface as `ChromaVectors`.

Used by the evals (one small index per meeting, rebuilt per question set), by tests, and as the
exact-search reference the benchmark measures Chroma's recall against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pilot.index.embedding import Vectors


class MemoryVectors:
    def __init__(self) -> None:
        self._rows: dict[str, dict[str, tuple[np.ndarray, str, dict[str, Any]]]] = {}

    def add(
        self,
        program_id: str,
        ids: Sequence[str],
        vectors: Vectors,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, str | int | float | bool]],
    ) -> None:
        rows = self._rows.setdefault(program_id, {})
        for chunk_id, vector, text, meta in zip(ids, vectors, texts, metadatas, strict=True):
            rows[chunk_id] = (np.asarray(vector, dtype=np.float32), text, dict(meta))

    def delete_document(self, program_id: str, document_key: str) -> None:
        rows = self._rows.get(program_id, {})
        for chunk_id in [c for c, (_, _, m) in rows.items() if m.get("document_key") == document_key]:
            del rows[chunk_id]

    def query(
        self, program_id: str, vector: Vectors, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        rows = [(cid, row) for cid, row in self._rows.get(program_id, {}).items() if matches(row[2], where)]
        if not rows:
            return []
        matrix = np.stack([row[0] for _, row in rows])
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(rows[i][0], float(scores[i])) for i in order]

    def all_chunks(self, program_id: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        rows = self._rows.get(program_id, {})
        return list(rows), [r[1] for r in rows.values()], [dict(r[2]) for r in rows.values()]

    def get(self, program_id: str, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        rows = self._rows.get(program_id, {})
        return {cid: (rows[cid][1], dict(rows[cid][2])) for cid in ids if cid in rows}


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
            if op == "$eq" and value != expected:
                return False
            if op == "$in" and value not in expected:
                return False
            if op == "$gte" and (value is None or value < expected):
                return False
            if op == "$lte" and (value is None or value > expected):
                return False
    return True
