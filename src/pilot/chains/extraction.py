"""Run an extraction engine over a transcript: chunks, cache, merge. Output is ungrounded candidates.

Two engines satisfy `Extractor`: `LLMExtractor` (prompt file + `StructuredLLM`, chunked under a token
budget, cached by (chunk text, prompt hash, model)) and `pilot.chains.offline.OfflineExtractor`.
Grounding against the program (owners, dates, evidence) happens afterwards, in the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pilot.chains.cache import ExtractionCache, cache_key
from pilot.chains.chunking import TurnChunk, chunk_turns, merge_outputs
from pilot.chains.engine import ChainRun, ChunkFailure, ExtractionContext, Progress
from pilot.chains.llm import StructuredLLM
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
class LLMExtractor:
    """The LLM chain: one structured call per chunk of turns, cached, failures kept per chunk."""

    llm: StructuredLLM
    cache: ExtractionCache | None = None
    prompt: PromptTemplate = field(default_factory=lambda: load_prompt(EXTRACT_PROMPT))
    max_chunk_tokens: int = 6000
    overlap_tokens: int = 400
    engine: Literal["llm"] = "llm"

    def run(
        self, turns: Sequence[Turn], context: ExtractionContext, *, progress: Progress | None = None
    ) -> ChainRun:
        chunks = chunk_turns(turns, max_tokens=self.max_chunk_tokens, overlap_tokens=self.overlap_tokens)
        run = ChainRun(
            engine="llm",
            model=self.llm.model_name,
            prompt_name=self.prompt.name,
            prompt_version=self.prompt.version,
            prompt_hash=self.prompt.sha256,
            output=ExtractionOutput.empty(),
            chunks=len(chunks),
        )
        outputs: list[ExtractionOutput] = []
        for done, chunk in enumerate(chunks, start=1):
            messages = self.prompt.render(_prompt_variables(chunk, len(chunks), context))
            key = cache_key(
                text_hash=content_hash("\n".join(m.content for m in messages)),
                prompt_hash=self.prompt.sha256,
                model=self.llm.model_name,
            )
            cached = self.cache.get(key) if self.cache else None
            if cached is not None:
                run.cache_hits += 1
                outputs.append(cached)
            else:
                result = self.llm.invoke(messages, ExtractionOutput)
                run.usage = run.usage.plus(result.usage)
                if result.parsed is not None:
                    outputs.append(result.parsed)
                    if self.cache:
                        self.cache.put(key, result.parsed)
                elif result.failure is not None:
                    run.failures.append(
                        ChunkFailure(
                            chunk_number=chunk.number,
                            first_turn=chunk.first_index,
                            last_turn=chunk.last_index,
                            failure=result.failure,
                        )
                    )
            if progress:
                progress(done, len(chunks))
        run.output = merge_outputs(outputs)
        return run


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
