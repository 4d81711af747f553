"""The keyword arm: Okapi BM25 over a program's chunks, kept in memory and updated in place.

An inverted index (term -> chunk -> term frequency) makes adding and removing a document cheap
and a query touch only the postings of its terms. It is rebuilt from the vector store's stored
texts the first time a program is queried in a process.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or "
    "our she so that the their them then there these they this to was we were what when where which who "
    "will with you your uh um yeah okay ok".split()
)


def tokenize(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS]


class KeywordIndex:
    """Mutations update dictionaries; queries use arrays compiled from them on first use after a
    change (one pass over the postings), so a query over 100k chunks is a few array additions."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._compiled: tuple[list[str], dict[str, tuple[np.ndarray, np.ndarray]]] | None = None
        self.postings: dict[str, dict[str, int]] = {}
        self.lengths: dict[str, int] = {}
        self.metadata: dict[str, Mapping[str, Any]] = {}
        self.by_document: dict[str, list[str]] = {}
        self.chunk_terms: dict[str, tuple[str, ...]] = {}
        self.total_length = 0

    def __len__(self) -> int:
        return len(self.lengths)

    def add(self, chunk_id: str, text: str, metadata: Mapping[str, Any]) -> None:
        self._compiled = None
        if chunk_id in self.lengths:
            self.remove(chunk_id)
        counts = Counter(tokenize(text))
        for term, tf in counts.items():
            self.postings.setdefault(term, {})[chunk_id] = tf
        length = sum(counts.values())
        self.chunk_terms[chunk_id] = tuple(counts)
        self.lengths[chunk_id] = length
        self.total_length += length
        self.metadata[chunk_id] = metadata
        self.by_document.setdefault(str(metadata.get("document_key")), []).append(chunk_id)

    def remove(self, chunk_id: str) -> None:
        self._compiled = None
        length = self.lengths.pop(chunk_id, None)
        if length is None:
            return
        self.total_length -= length
        meta = self.metadata.pop(chunk_id, {})
        siblings = self.by_document.get(str(meta.get("document_key")), [])
        if chunk_id in siblings:
            siblings.remove(chunk_id)
        for term in self.chunk_terms.pop(chunk_id, ()):
            entries = self.postings.get(term)
            if entries is not None:
                entries.pop(chunk_id, None)
                if not entries:
                    del self.postings[term]

    def remove_document(self, document_key: str) -> None:
        for chunk_id in list(self.by_document.pop(document_key, [])):
            self.by_document[document_key] = []  # remove() looks it up; keep it empty meanwhile
            self.remove(chunk_id)
        self.by_document.pop(document_key, None)

    def _compile(self) -> tuple[list[str], dict[str, tuple[np.ndarray, np.ndarray]]]:
        if self._compiled is None:
            ids = list(self.lengths)
            position = {chunk_id: i for i, chunk_id in enumerate(ids)}
            lengths = np.array([self.lengths[c] for c in ids], dtype=np.float32)
            average = float(lengths.mean()) if len(ids) else 1.0
            count = len(ids)
            arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for term, entries in self.postings.items():
                where = np.fromiter((position[c] for c in entries), dtype=np.int64, count=len(entries))
                tf = np.fromiter(entries.values(), dtype=np.float32, count=len(entries))
                idf = math.log(1 + (count - len(entries) + 0.5) / (len(entries) + 0.5))
                norm = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * lengths[where] / average))
                arrays[term] = (where, (idf * norm).astype(np.float32))
            self._compiled = (ids, arrays)
        return self._compiled

    def search(
        self, query: str, k: int, allow: Callable[[Mapping[str, Any]], bool] | None = None
    ) -> list[tuple[str, float]]:
        if not self.lengths:
            return []
        ids, arrays = self._compile()
        scores = np.zeros(len(ids), dtype=np.float32)
        for term in set(tokenize(query)):
            found = arrays.get(term)
            if found is not None:
                scores[found[0]] += found[1]
        hits = int(np.count_nonzero(scores))
        if hits == 0:
            return []
        want = hits if allow is not None else min(k, hits)
        top = np.argpartition(-scores, want - 1)[:want] if want < len(ids) else np.arange(len(ids))
        ranked = sorted(
            ((ids[i], float(scores[i])) for i in top if scores[i] > 0), key=lambda item: (-item[1], item[0])
        )
        if allow is not None:
            ranked = [(cid, s) for cid, s in ranked if allow(self.metadata[cid])]
        return ranked[:k]

    def extend(
        self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[Mapping[str, Any]]
    ) -> None:
        for chunk_id, text, meta in zip(ids, texts, metadatas, strict=True):
            self.add(chunk_id, text, meta)
