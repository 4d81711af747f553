"""Is a quote really in the source? Fuzzy, because models and people trim, re-case, re-punctuate
and contract ("I will" / "I'll", "run-book" / "runbook").

Both texts are reduced to lowercase letters and digits. A quote is present when that reduced
quote is a substring of the reduced source, or when the best window of the source (found by word
overlap, then compared character by character) matches at least `threshold` of the quote's
characters.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_WORD = re.compile(r"[a-z0-9]+")


def _compact(text: str) -> str:
    return "".join(_WORD.findall(text.lower()))


def quote_score(quote: str, source: str, *, candidates: int = 6) -> float:
    """Best match of the quote against any window of the source, 0..1."""
    q_compact = _compact(quote)
    if not q_compact:
        return 0.0
    s_lower = source.lower()
    if q_compact in _compact(source):
        return 1.0
    q_words = _WORD.findall(quote.lower())
    s_spans = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(s_lower)]
    if not s_spans:
        return 0.0
    wanted = set(q_words)
    size = len(q_words)
    # Rank word windows by how many of the quote's words they hold; compare only the best few.
    scored: list[tuple[int, int]] = []
    hits = [w in wanted for w, _, _ in s_spans]
    running = sum(hits[:size])
    scored.append((running, 0))
    for start in range(1, max(1, len(s_spans) - size + 1)):
        running += hits[start + size - 1] - hits[start - 1]
        scored.append((running, start))
    scored.sort(key=lambda item: -item[0])
    best = 0.0
    for overlap, start in scored[:candidates]:
        if overlap == 0:
            break
        first = max(0, start - 2)
        last = min(len(s_spans) - 1, start + size + 1)
        window = _compact(s_lower[s_spans[first][1] : s_spans[last][2]])
        matcher = SequenceMatcher(None, q_compact, window, autojunk=False)
        matched = sum(block.size for block in matcher.get_matching_blocks())
        best = max(best, matched / len(q_compact))
    return best


def quote_in_source(quote: str, source: str, threshold: float = 0.85) -> bool:
    return quote_score(quote, source) >= threshold
