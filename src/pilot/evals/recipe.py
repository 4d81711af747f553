"""The plain recipe a user would otherwise write, as the evals' and benchmarks' baseline: the text
cut into 1,000-character chunks that overlap by 200 characters (LangChain's usual settings)."""

from __future__ import annotations

CHUNK_CHARS = 1000
OVERLAP_CHARS = 200


def recipe_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) character ranges of the recipe's chunks of `text`."""
    step = CHUNK_CHARS - OVERLAP_CHARS
    return [
        (start, min(start + CHUNK_CHARS, len(text)))
        for start in range(0, max(1, len(text) - OVERLAP_CHARS), step)
    ]


def recipe_chunks(text: str) -> list[str]:
    return [text[a:b] for a, b in recipe_spans(text)]
