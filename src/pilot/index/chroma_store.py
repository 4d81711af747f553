"""The vector arm on chromadb: the only module that imports it.

One collection per program ("one program, one collection"): a query never has to filter across
programs, so no result can cross programs and a program-scoped query is as fast as the program is
small. Vectors are computed by pilot (the local MiniLM) and passed in; Chroma never embeds, so it
never tries to download its default model. Chunk texts live in SQL; Chroma keeps vectors and the
few fields queries filter on.

The embedded `PersistentClient` keeps each collection's HNSW graph in the memory of the process
that opened it and never looks at the disk again: a running server does not see vectors another
process (`pilot ingest`, a second server) wrote, and a process that writes from that stale graph
persists it over the other's work (measured: 2,000 of 5,010 vectors lost for good). So every
embedded access goes through `_Guard`: writers take an exclusive lock on the data directory and
leave a new generation stamp; a reader or writer that finds a stamp it has not seen reopens the
client (a few hundred ms at 100k vectors) before it touches the index. Several processes may then
share one embedded index safely; a Chroma server (`PILOT_CHROMA_URL`) needs none of this.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pilot.index.embedding import Vectors

Metadata = Mapping[str, str | int | float | bool]
# Higher ef than Chroma's defaults: at 100k chunks the defaults found ~63% of the true top 10.
HNSW: dict[str, Any] = {"space": "cosine", "ef_construction": 200, "ef_search": 80, "max_neighbors": 32}
FILTER_FIELDS = ("program_id", "document_key", "source", "kind", "date_ts")
_holders: dict[str, _Holder] = {}
_holders_lock = threading.Lock()


def collection_name(program_id: str) -> str:
    """Chroma names are 3-512 of [a-zA-Z0-9._-], alphanumeric at both ends; ids may be anything."""
    slug = re.sub(r"[^a-zA-Z0-9._-]", "-", program_id)[:40].strip("-._") or "program"
    digest = hashlib.sha1(program_id.encode()).hexdigest()[:10]
    return f"p-{slug}-{digest}"


def _settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class _Guard:
    """Cross-process discipline for one embedded index directory (see the module docstring).

    `flock` locks belong to an open file, so each use opens its own: threads of one process
    exclude each other exactly as processes do."""

    def __init__(self, folder: Path) -> None:
        self.lock_path = folder / "pilot-index.lock"
        self.stamp_path = folder / "pilot-index.generation"

    def stamp(self) -> str | None:
        try:
            return self.stamp_path.read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    def bump(self) -> str:
        stamp = uuid.uuid4().hex
        partial = self.stamp_path.with_name(f"{self.stamp_path.name}.{os.getpid()}.partial")
        partial.write_text(stamp, encoding="ascii")
        partial.replace(self.stamp_path)
        return stamp

    @contextlib.contextmanager
    def locked(self, *, exclusive: bool) -> Iterator[_Lock]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        lock = _Lock(fd)
        try:
            lock.take(exclusive)
            yield lock
        finally:
            os.close(fd)  # releases the lock


class _Lock:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.exclusive = False

    def take(self, exclusive: bool) -> None:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): one process per embedded index, documented
            self.exclusive = exclusive
            return
        fcntl.flock(self.fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        self.exclusive = exclusive


class _Holder:
    """The process's client for one index (embedded directory or server), and what it has seen."""

    def __init__(self, *, path: Path | None, url: str | None) -> None:
        self.path, self.url = path, url
        self.guard = _Guard(path) if path is not None else None
        self.client: Any = None
        self.seen: str | None = None
        self.collections: dict[str, Any] = {}

    def _open(self) -> None:
        import chromadb

        if self.client is not None:
            self.client.close()
        self.collections = {}
        if self.url:
            from urllib.parse import urlparse

            parsed = urlparse(self.url)
            self.client = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=_settings(),
            )
        else:
            assert self.path is not None
            self.client = chromadb.PersistentClient(path=str(self.path), settings=_settings())

    @contextlib.contextmanager
    def use(self, *, write: bool) -> Iterator[Any]:
        """The client, current with every other process's committed writes."""
        if self.guard is None:
            if self.client is None:
                with _holders_lock:
                    if self.client is None:
                        self._open()
            yield self.client
            return
        with self.guard.locked(exclusive=write) as lock:
            stamp = self.guard.stamp()
            if self.client is None or stamp != self.seen:
                if not lock.exclusive:  # reopening replaces the client under other threads' feet
                    lock.take(True)
                    stamp = self.guard.stamp()
                if self.client is None or stamp != self.seen:
                    self._open()
                    self.seen = stamp
            try:
                yield self.client
            finally:
                if write:  # even a write that failed half-way changed the index
                    self.seen = self.guard.bump()

    def collection(self, client: Any, program_id: str, *, create: bool) -> Any:
        """The program's collection; None when it has none yet and `create` is false (readers
        never write, not even an empty collection)."""
        found = self.collections.get(program_id)
        if found is None:
            name = collection_name(program_id)
            if create:
                found = client.get_or_create_collection(
                    name,
                    embedding_function=None,
                    configuration={"hnsw": HNSW},
                    metadata={"program_id": program_id},
                )
            else:
                from chromadb.errors import NotFoundError

                try:
                    found = client.get_collection(name, embedding_function=None)
                except NotFoundError:
                    return None
            self.collections[program_id] = found
        return found


def _holder(*, path: Path | None, url: str | None) -> _Holder:
    key = url or str(Path(str(path)).resolve())
    with _holders_lock:
        found = _holders.get(key)
        if found is None:
            if path is not None:
                path.mkdir(parents=True, exist_ok=True)
            found = _holders[key] = _Holder(path=path, url=url)
        return found


class ChromaVectors:
    def __init__(self, *, path: Path | None = None, url: str | None = None) -> None:
        if (path is None) == (url is None):
            raise ValueError("give the embedded index's path or the Chroma server's url")
        self._holder = _holder(path=path, url=url)

    def replace_document(
        self,
        program_id: str,
        document_key: str,
        ids: Sequence[str],
        vectors: Vectors,
        metadatas: Sequence[Metadata],
    ) -> None:
        """The document's vectors become these (none: the document leaves the vector index)."""
        with self._holder.use(write=True) as client:
            collection = self._holder.collection(client, program_id, create=True)
            collection.delete(where={"document_key": document_key})
            batch = max(1, int(client.get_max_batch_size()))
            for start in range(0, len(ids), batch):
                stop = start + batch
                collection.upsert(
                    ids=list(ids[start:stop]),
                    embeddings=np.asarray(vectors[start:stop], dtype=np.float32),
                    metadatas=[_filter_fields(m) for m in metadatas[start:stop]],
                )

    def query(
        self, program_id: str, vector: Vectors, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        with self._holder.use(write=False) as client:
            collection = self._holder.collection(client, program_id, create=False)
            if collection is None or k <= 0:
                return []
            # No count() first: Chroma answers a k above the collection's size with what it has,
            # and counting cost 10 ms at 100k vectors, five times the search itself.
            result = collection.query(
                query_embeddings=np.asarray([vector], dtype=np.float32),
                n_results=k,
                where=where or None,
                include=["distances"],
            )
        ids = result["ids"][0]
        distances = result["distances"][0] if result.get("distances") else [0.0] * len(ids)
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(ids, distances, strict=True)]

    def stored_chunks(
        self, program_id: str, document_key: str
    ) -> list[tuple[str, str, dict[str, str | int | float | bool]]]:
        """(id, text, metadata) of the document's chunks as versions before 0003 stored them
        (texts in Chroma); empty when there are none or their texts are not there."""
        with self._holder.use(write=False) as client:
            collection = self._holder.collection(client, program_id, create=False)
            if collection is None:
                return []
            got = collection.get(where={"document_key": document_key}, include=["documents", "metadatas"])
        texts = got.get("documents") or []
        metas = got.get("metadatas") or []
        if len(texts) != len(got["ids"]) or any(text is None for text in texts):
            return []
        return [
            (cid, str(text), dict(meta or {}))
            for cid, text, meta in zip(got["ids"], texts, metas, strict=True)
        ]

    def count(self, program_id: str) -> int:
        with self._holder.use(write=False) as client:
            collection = self._holder.collection(client, program_id, create=False)
            return int(collection.count()) if collection is not None else 0


def _filter_fields(meta: Metadata) -> dict[str, str | int | float | bool]:
    return {name: meta[name] for name in FILTER_FIELDS if name in meta}
