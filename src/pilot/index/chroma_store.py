"""The vector arm on chromadb: the only module that imports it.

One collection per program ("one program, one collection"): a query never has to filter across
programs, so no result can cross programs and a program-scoped query is as fast as the program is
small. Vectors are computed by pilot (the local MiniLM) and passed in; Chroma never embeds, so it
never tries to download its default model.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pilot.index.embedding import Vectors

Metadata = Mapping[str, str | int | float | bool]
# Higher ef than Chroma's defaults: at 100k chunks the defaults found ~63% of the true top 10.
HNSW: dict[str, Any] = {"space": "cosine", "ef_construction": 200, "ef_search": 80, "max_neighbors": 32}
_clients: dict[str, Any] = {}
_lock = threading.Lock()


def collection_name(program_id: str) -> str:
    """Chroma names are 3-512 of [a-zA-Z0-9._-], alphanumeric at both ends; ids may be anything."""
    slug = re.sub(r"[^a-zA-Z0-9._-]", "-", program_id)[:40].strip("-._") or "program"
    digest = hashlib.sha1(program_id.encode()).hexdigest()[:10]
    return f"p-{slug}-{digest}"


class ChromaVectors:
    def __init__(self, *, path: Path | None = None, url: str | None = None) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        key = url or str(path)
        with _lock:
            client = _clients.get(key)
            if client is None:
                settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
                if url:
                    from urllib.parse import urlparse

                    parsed = urlparse(url)
                    client = chromadb.HttpClient(
                        host=parsed.hostname or "localhost", port=parsed.port or 8000,
                        ssl=parsed.scheme == "https", settings=settings,
                    )  # fmt: skip
                else:
                    assert path is not None
                    path.mkdir(parents=True, exist_ok=True)
                    client = chromadb.PersistentClient(path=str(path), settings=settings)
                _clients[key] = client
        self._client = client
        self._collections: dict[str, Any] = {}

    def _collection(self, program_id: str) -> Any:
        found = self._collections.get(program_id)
        if found is None:
            found = self._client.get_or_create_collection(
                collection_name(program_id),
                embedding_function=None,
                configuration={"hnsw": HNSW},  # type: ignore[arg-type]  # a TypedDict in chromadb
                metadata={"program_id": program_id},
            )
            self._collections[program_id] = found
        return found

    def add(
        self,
        program_id: str,
        ids: Sequence[str],
        vectors: Vectors,
        texts: Sequence[str],
        metadatas: Sequence[Metadata],
    ) -> None:
        collection = self._collection(program_id)
        batch = max(1, int(self._client.get_max_batch_size()))
        for start in range(0, len(ids), batch):
            stop = start + batch
            collection.upsert(
                ids=list(ids[start:stop]),
                embeddings=np.asarray(vectors[start:stop], dtype=np.float32),
                documents=list(texts[start:stop]),
                metadatas=[dict(m) for m in metadatas[start:stop]],
            )

    def delete_document(self, program_id: str, document_key: str) -> None:
        self._collection(program_id).delete(where={"document_key": document_key})

    def query(
        self, program_id: str, vector: Vectors, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        collection = self._collection(program_id)
        count = collection.count()
        if count == 0:
            return []
        result = collection.query(
            query_embeddings=np.asarray([vector], dtype=np.float32), n_results=min(k, count), where=where or None,
            include=["distances"],
        )  # fmt: skip
        ids = result["ids"][0]
        distances = result["distances"][0] if result.get("distances") else [0.0] * len(ids)
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(ids, distances, strict=True)]

    def all_chunks(self, program_id: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Every chunk of a program (ids, texts, metadata), read in pages: rebuilds the keyword arm."""
        collection = self._collection(program_id)
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        offset, page = 0, 5000
        while True:
            got = collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            ids.extend(got["ids"])
            texts.extend(got["documents"] or [])
            metas.extend(dict(m) for m in got["metadatas"] or [])
            if len(got["ids"]) < page:
                return ids, texts, metas
            offset += page

    def get(self, program_id: str, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not ids:
            return {}
        got = self._collection(program_id).get(ids=list(ids), include=["documents", "metadatas"])
        return {
            chunk_id: (text, dict(meta))
            for chunk_id, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        }

    def document_keys(self, program_id: str) -> set[str]:
        _, _, metas = self.all_chunks(program_id)
        return {str(m.get("document_key")) for m in metas}
