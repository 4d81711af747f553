"""Run an extraction engine over a transcript: chunks, cache, merge. Output is ungrounded candidates.

Two engines satisfy `Extractor`: `LLMExtractor` (prompt file + `StructuredLLM`) and
`pilot.chains.offline.OfflineExtractor`. The LLM engine map-reduces a long transcript: chunks of
whole turns under a token budget (overlapping a little) are extracted in parallel, up to
`max_concurrency` at once, each cached by (rendered prompt, prompt hash, model); the reduce step
merges near-duplicates from the overlaps into one item with the best evidence. A chunk whose
answer was cut off at the output limit or stopped by a content filter is a recorded call failure,
and its turns are sent again in halves (down to `max_split_depth`); what still fails is a
`ChunkFailure`, data beside the items the other chunks gave. Grounding against the program
(owners, dates, evidence) happens afterwards, in the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Literal

from pilot.chains.cache import ExtractionCache, cache_key
from pilot.chains.chunking import TurnChunk, chunk_turns, merge_outputs
from pilot.chains.engine import CallRecord, ChainRun, ChunkFailure, ExtractionContext, Progress
from pilot.chains.llm import SPLITTABLE, StructuredLLM, TokenUsage
from pilot.chains.prompts import PromptTemplate, load_prompt
from pilot.chains.schema import ExtractionOutput
from pilot.domain.documents import Document, Turn, content_hash

EXTRACT_PROMPT = "extract/extract"


def document_turns(document: Document) -> list[Turn]:
    """The document's turns, or one turn per non-empty line for plain notes without turns."""
    if document.turns:
        return list(document.turns)
    lines = [line.strip() for line in document.text.splitlines() if line.strip()]
    return [Turn(index=i, text=line) for i, line in enumerate(lines)]


@dataclass
class ChunkOutcome:
    """What one chunk gave: its outputs (several when it was split), its calls and what failed."""

    outputs: list[ExtractionOutput] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    failures: list[ChunkFailure] = field(default_factory=list)

    def add(self, other: ChunkOutcome) -> None:
        self.outputs += other.outputs
        self.calls += other.calls
        self.failures += other.failures


@dataclass
class LLMExtractor:
    """The LLM chain: one structured call per chunk of turns, cached, failures kept per chunk."""

    llm: StructuredLLM
    cache: ExtractionCache | None = None
    prompt: PromptTemplate = field(default_factory=lambda: load_prompt(EXTRACT_PROMPT))
    max_chunk_tokens: int = 6000
    overlap_tokens: int = 400
    max_concurrency: int = 1  # chunks in flight at once; the adapter also bounds calls per endpoint
    max_split_depth: int = 3  # a chunk too big for one answer is halved at most this many times
    engine: Literal["llm"] = "llm"

    def run(
        self, turns: Sequence[Turn], context: ExtractionContext, *, progress: Progress | None = None
    ) -> ChainRun:
        chunks = chunk_turns(turns, max_tokens=self.max_chunk_tokens, overlap_tokens=self.overlap_tokens)
        with ThreadPoolExecutor(max_workers=max(1, self.max_concurrency)) as pool:
            futures = [pool.submit(self._extract, chunk, len(chunks), context, 0) for chunk in chunks]
            for done, _finished in enumerate(as_completed(futures), start=1):
                if progress:  # reported from this thread: the job's progress writer is not shared
                    progress(done, len(chunks))
            total = ChunkOutcome()
            for future in futures:  # in chunk order, so the merge keeps the transcript's order
                total.add(future.result())
        usage = TokenUsage()
        for call in total.calls:
            usage = usage.plus(call.usage)
        return ChainRun(
            engine="llm",
            model=self.llm.model_name,
            prompt_name=self.prompt.name,
            prompt_version=self.prompt.version,
            prompt_hash=self.prompt.sha256,
            output=merge_outputs(total.outputs, turns),
            usage=usage,
            chunks=len(chunks),
            cache_hits=sum(1 for call in total.calls if call.outcome == "cached"),
            failures=total.failures,
            calls=total.calls,
        )

    def _extract(self, chunk: TurnChunk, count: int, context: ExtractionContext, depth: int) -> ChunkOutcome:
        messages = self.prompt.render(_prompt_variables(chunk, count, context))
        key = cache_key(
            text_hash=content_hash("\n".join(m.content for m in messages)),
            prompt_hash=self.prompt.sha256,
            model=self.llm.model_name,
        )
        span = {"chunk_number": chunk.number, "first_turn": chunk.first_index, "last_turn": chunk.last_index}
        cached = self.cache.get(key) if self.cache else None
        if cached is not None:
            return ChunkOutcome(outputs=[cached], calls=[CallRecord(**span, outcome="cached")])
        result = self.llm.invoke(messages, ExtractionOutput)
        failure = result.failure
        split = failure is not None and failure.kind in SPLITTABLE
        split = split and len(chunk.turns) > 1 and depth < self.max_split_depth
        call = CallRecord(
            **span,
            outcome="ok" if failure is None else failure.kind,
            attempts=result.attempts,
            split=split,
            usage=result.usage,
        )
        outcome = ChunkOutcome(calls=[call])
        if result.parsed is not None:
            if self.cache:
                self.cache.put(key, result.parsed)
            outcome.outputs.append(result.parsed)
        elif split:
            for half in _halves(chunk):
                outcome.add(self._extract(half, count, context, depth + 1))
        elif failure is not None:
            outcome.failures.append(ChunkFailure(**span, failure=failure))
        return outcome


def _halves(chunk: TurnChunk) -> tuple[TurnChunk, TurnChunk]:
    middle = len(chunk.turns) // 2
    return (
        TurnChunk(number=chunk.number, turns=chunk.turns[:middle]),
        TurnChunk(number=chunk.number, turns=chunk.turns[middle:]),
    )


def _prompt_variables(chunk: TurnChunk, count: int, context: ExtractionContext) -> dict[str, object]:
    return {
        "title": context.title or "(untitled meeting)",
        "meeting_date": context.meeting_date.isoformat() if context.meeting_date else "unknown",
        "timezone": context.timezone,
        "people": list(context.people),
        "milestones": list(context.milestones),
        "chunk_number": chunk.number,
        "chunk_count": count,
        "turns": [
            {
                "index": turn.index,
                "speaker": _one_line(turn.speaker or "Unknown speaker"),
                "text": _one_line(turn.text),
                "timestamp": _timestamp(turn.start),
            }
            for turn in chunk.turns
        ],
    }


def _one_line(text: str) -> str:
    # A transcript must not be able to close the data block or fake a numbered turn of its own.
    text = " ".join(text.split())
    return text.replace("</transcript>", "< /transcript>").replace("<transcript>", "< transcript>")


def _timestamp(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
