"""What every extraction engine takes and returns: the `Extractor` protocol and its `ChainRun`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from pilot.chains.llm import LLMFailure, TokenUsage
from pilot.chains.schema import ExtractionOutput
from pilot.domain.documents import Turn

Progress = Callable[[int, int], None]  # (chunks done, chunks total)


class ChunkFailure(BaseModel):
    """A chunk the engine could not extract: recorded, the other chunks still count."""

    model_config = ConfigDict(extra="forbid")

    chunk_number: int
    first_turn: int
    last_turn: int
    failure: LLMFailure


class CallRecord(BaseModel):
    """One structured LLM call of a run (or a chunk answered from the cache), with what it cost."""

    model_config = ConfigDict(extra="forbid")

    chunk_number: int
    first_turn: int
    last_turn: int
    outcome: str  # "ok", "cached", or the failure kind ("output_truncated", "refused", ...)
    attempts: int = 0
    split: bool = False  # the call failed on its size and its turns were sent again in halves
    usage: TokenUsage = Field(default_factory=TokenUsage)


class ChainRun(BaseModel):
    """What an engine produced for one document, before grounding."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["offline", "llm"]
    model: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    output: ExtractionOutput
    usage: TokenUsage = Field(default_factory=TokenUsage)
    chunks: int = 0
    cache_hits: int = 0
    failures: list[ChunkFailure] = Field(default_factory=list)
    calls: list[CallRecord] = Field(default_factory=list)
    # The engine's confidence per candidate, parallel to the output's lists by their field name
    # ("action_items", "decisions", "raid", "open_questions"); empty when the engine gives none.
    confidence: dict[str, list[float]] = Field(default_factory=dict)


@dataclass(frozen=True)
class ExtractionContext:
    title: str = ""
    meeting_date: date | None = None
    timezone: str = "UTC"
    people: Sequence[str] = ()  # "Name (alias, alias)" lines for the prompt
    milestones: Sequence[str] = ()
    participants: Sequence[str] = ()  # names the offline engine may see addressed as "you"


class Extractor(Protocol):
    @property
    def engine(self) -> Literal["offline", "llm"]: ...

    def run(
        self, turns: Sequence[Turn], context: ExtractionContext, *, progress: Progress | None = None
    ) -> ChainRun: ...
