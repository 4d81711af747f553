"""Embedding a group of documents' chunks, and writing groups while the next one is embedded.

Chunks of transcripts overlap by a turn; with an embedder that offers `embed_windows` and has
`reuse_overlap` on (ONNX, the default; `PILOT_EMBEDDING_REUSE_OVERLAP=false` turns it off) each
turn is embedded once and the overlapping chunks' vectors are pooled from it.
Writing (vector store, chunk rows, keyword index) runs on one writer thread, so the model, which
releases the GIL, embeds group n+1 while group n is written; documents still commit one by one,
in order, and a failure is reported for its documents only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from pilot.domain.documents import Chunk, Document
from pilot.index.chunking import ChunkingConfig, chunk_units
from pilot.index.embedding import Embedder, Vectors

Group = list[tuple[Document, list[Chunk]]]
WriteGroup = Callable[[Group, Vectors], int]


def embed_group(embedder: Embedder, group: Group, chunking: ChunkingConfig) -> Vectors:
    """The vectors of a group's chunks, in order."""
    windows = getattr(embedder, "embed_windows", None)
    if windows is None or not getattr(embedder, "reuse_overlap", False):
        return embedder([c.text for _, chunks in group for c in chunks])
    parts: list[Vectors] = []
    plain: list[tuple[int, list[str]]] = []
    for doc, chunks in group:
        units = chunk_units(doc, chunking)
        if units is not None and len(units[1]) == len(chunks):
            parts.append(windows(*units))
        else:
            plain.append((len(parts), [c.text for c in chunks]))
            parts.append(np.zeros((0, 384), dtype=np.float32))
    if plain:
        vectors = embedder([text for _, texts in plain for text in texts])
        offset = 0
        for position, texts in plain:
            parts[position] = vectors[offset : offset + len(texts)]
            offset += len(texts)
    return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)


def embed_and_write(
    groups: Iterable[Group],
    embed: Callable[[Group], Vectors],
    write: WriteGroup,
    failed: Callable[[Document, Exception], None] | None,
) -> int:
    """Embed each group and hand it to `write` on a writer thread while the next group is embedded.
    Without `failed` the first error is raised (after the writes in flight end); with it, a group
    that cannot be embedded is reported document by document and the rest go on. Returns the
    chunks written."""
    written = 0
    pending: Future[int] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-writer") as writer:
        try:
            for group in groups:
                try:
                    vectors = embed(group)
                except Exception as exc:
                    if failed is None:
                        raise
                    # Reported on the writer thread, in order with the documents written before.
                    for doc, _ in group:
                        writer.submit(failed, doc, exc)
                    continue
                if pending is not None:
                    written += pending.result()
                pending = writer.submit(write, group, vectors)
            if pending is not None:
                written += pending.result()
                pending = None
        finally:
            if pending is not None and not pending.done():
                pending.exception()  # let the write in flight end before raising
    return written
