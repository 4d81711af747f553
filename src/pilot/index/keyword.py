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

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or "
    "our she so that the their them then there these they this to was we were what when where which who "
    "will with you your uh um yeah okay ok".split()
)


def tokenize(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS]


class KeywordIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.postings: dict[str, dict[str, int]] = {}
        self.lengths: dict[str, int] = {}
        self.metadata: dict[str, Mapping[str, Any]] = {}
        self.by_document: dict[str, list[str]] = {}
        self.chunk_terms: dict[str, tuple[str, ...]] = {}
        self.total_length = 0

    def __len__(self) -> int:
        return len(self.lengths)

    def add(self, chunk_id: str, text: str, metadata: Mapping[str, Any]) -> None:
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

    def search(
        self, query: str, k: int, allow: Callable[[Mapping[str, Any]], bool] | None = None
    ) -> list[tuple[str, float]]:
        count = len(self.lengths)
        if count == 0:
            return []
        average = self.total_length / count
        scores: dict[str, float] = {}
        for term in set(tokenize(query)):
            entries = self.postings.get(term)
            if not entries:
                continue
            idf = math.log(1 + (count - len(entries) + 0.5) / (len(entries) + 0.5))
            for chunk_id, tf in entries.items():
                norm = (
                    tf
                    * (self.k1 + 1)
                    / (tf + self.k1 * (1 - self.b + self.b * self.lengths[chunk_id] / average))
                )
                scores[chunk_id] = scores.get(chunk_id, 0.0) + idf * norm
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        if allow is not None:
            ranked = [(cid, s) for cid, s in ranked if allow(self.metadata[cid])]
        return ranked[:k]

    def extend(
        self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[Mapping[str, Any]]
    ) -> None:
        for chunk_id, text, meta in zip(ids, texts, metadatas, strict=True):
            self.add(chunk_id, text, meta)
