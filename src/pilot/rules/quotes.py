"""Is a quote really in the source? Fuzzy, because models and people trim, re-case and re-punctuate.

A quote counts as present when, after normalizing case, punctuation and whitespace, it is a
substring of the source, or when a window of the source of the quote's length shares at least
`threshold` of the quote's words in order (difflib ratio over word sequences).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def quote_score(quote: str, source: str) -> float:
    """Best match of the quote's words against any window of the source, 0..1."""
    q = words(quote)
    if not q:
        return 0.0
    s = words(source)
    if not s:
        return 0.0
    joined_q, joined_s = " ".join(q), " ".join(s)
    if joined_q in joined_s:
        return 1.0
    vocabulary = set(s)
    if sum(w in vocabulary for w in q) / len(q) < 0.5:
        return 0.0  # cheap exit: most words are not in the source at all
    size = len(q)
    best = 0.0
    step = max(1, size // 4)
    for start in range(0, max(1, len(s) - size + 1), step):
        window = s[start : start + size + size // 4]
        matcher = SequenceMatcher(None, q, window, autojunk=False)
        matched = sum(block.size for block in matcher.get_matching_blocks())
        best = max(best, matched / size)
        if best >= 1.0:
            break
    return best


def quote_in_source(quote: str, source: str, threshold: float = 0.85) -> bool:
    return quote_score(quote, source) >= threshold
