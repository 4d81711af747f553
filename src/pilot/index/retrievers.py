"""Retriever configurations are data: YAML files in `retrievers/`, validated here.

The repository's top-level `retrievers/` is shipped in the wheel as `pilot/retrievers/`; the
loader looks next to the package first, then at the repository (editable installs).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pilot.domain.errors import ErrorCode, PilotError
from pilot.index.chunking import ChunkingConfig

RETRIEVER_DIRS = (
    Path(__file__).resolve().parents[1] / "retrievers",
    Path(__file__).resolve().parents[3] / "retrievers",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChunkingSpec(_Strict):
    max_words: int = Field(default=180, ge=20, le=2000)
    overlap_turns: int = Field(default=1, ge=0, le=10)

    def to_config(self) -> ChunkingConfig:
        return ChunkingConfig(max_words=self.max_words, overlap_turns=self.overlap_turns)


class ArmSpec(_Strict):
    candidates: int = Field(default=50, ge=0, le=1000)
    weight: float = Field(default=1.0, ge=0.0, le=10.0)


class KeywordArmSpec(ArmSpec):
    # Chunks a keyword query may score: terms are taken rarest first up to this many occurrences
    # (see `pilot.store.chunks`). Only very common terms are left out, and only in large programs.
    term_budget: int = Field(default=5000, ge=100, le=1_000_000)


class FusionSpec(_Strict):
    method: Literal["rrf"] = "rrf"
    rrf_k: int = Field(default=60, ge=1, le=1000)


class RetrieverConfig(_Strict):
    name: str
    description: str = ""
    chunking: ChunkingSpec = Field(default_factory=ChunkingSpec)
    k: int = Field(default=10, ge=1, le=200)
    vector: ArmSpec = Field(default_factory=ArmSpec)
    keyword: KeywordArmSpec = Field(default_factory=KeywordArmSpec)
    fusion: FusionSpec = Field(default_factory=FusionSpec)


@cache
def load_retriever(name: str = "default") -> RetrieverConfig:
    for folder in RETRIEVER_DIRS:
        path = folder / f"{name}.yaml"
        if path.is_file():
            try:
                config = RetrieverConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
            except (ValidationError, yaml.YAMLError) as exc:
                raise PilotError(ErrorCode.CONFIGURATION, f"retriever {path}: {exc}") from exc
            if config.vector.weight == 0 and config.keyword.weight == 0:
                raise PilotError(ErrorCode.CONFIGURATION, f"retriever {path}: both arms have weight 0")
            return config
    known = sorted({p.stem for folder in RETRIEVER_DIRS if folder.is_dir() for p in folder.glob("*.yaml")})
    raise PilotError(ErrorCode.INVALID_INPUT, f"unknown retriever {name!r}; known: {', '.join(known)}")
