"""Retrieval quality on QMSum: each meeting is ingested into a pilot (one program per meeting) and
each of its specific queries is answered by the search `pilot search` runs; the eval checks
whether the top results cover the gold evidence.

hit@200w / hit@1000w: results concatenated in rank order and cut at 200 (1,000) words cover a
turn inside a gold `relevant_text_span`; a chunk cut by the budget covers only the turns its kept
words belong to. MRR: 1 / rank of the first result whose turns meet a gold span. The baseline
recipe (1,000-character chunks with 200 overlap, MiniLM vectors, similarity search) is scored on
the same queries with the same rule, its chunks mapped to the turns their characters span.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pilot.domain.documents import Turn
from pilot.evals.corpus import EvalPilot, eval_pilot
from pilot.evals.qmsum import QmsumMeeting, Query, load_split
from pilot.evals.recipe import recipe_spans
from pilot.pipeline.search import Embedder, Hit, embedding_backend, text_embedder

BUDGETS = (200, 1000)
DEPTH = 30
Ranked = list[tuple[Query, list[list[tuple[int, int]]]]]  # per query, per result: (turn, words)


def covered_turns(ranked: Sequence[tuple[str, list[tuple[int, int]]]], budget: int) -> set[int]:
    """Turns covered by results cut at `budget` words. Each result is its text and, per turn it
    holds, (turn index, words of that turn in the result) in reading order."""
    left = budget
    covered: set[int] = set()
    for _text, parts in ranked:
        for turn_index, words in parts:
            if left <= 0:
                return covered
            covered.add(turn_index)
            left -= words
    return covered


def _in_spans(turns: set[int] | Sequence[int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= t <= b for t in turns for a, b in spans)


def _hit_parts(hit: Hit) -> list[tuple[int, int]]:
    first, last = int(hit.metadata.get("turn_first", 0)), int(hit.metadata.get("turn_last", 0))
    # Chunk lines are "Speaker: text" per turn (a long turn may be split across chunks).
    return [
        (min(first + offset, last), len(line.split())) for offset, line in enumerate(hit.text.split("\n"))
    ]


def score_queries(results: Ranked) -> dict[str, float]:
    totals = {f"hit@{b}w": 0.0 for b in BUDGETS}
    reciprocal = 0.0
    for query, ranked_parts in results:
        for budget in BUDGETS:
            covered = covered_turns([("", parts) for parts in ranked_parts], budget)
            totals[f"hit@{budget}w"] += _in_spans(covered, query.spans)
        for rank, parts in enumerate(ranked_parts, start=1):
            if _in_spans([t for t, _ in parts], query.spans):
                reciprocal += 1 / rank
                break
    n = max(1, len(results))
    report = {key: round(value / n, 4) for key, value in totals.items()}
    report["mrr"] = round(reciprocal / n, 4)
    report["queries"] = float(len(results))
    return report


def meeting_turns(meeting: QmsumMeeting) -> list[Turn]:
    return [Turn(index=i, speaker=t.speaker or None, text=t.text) for i, t in enumerate(meeting.turns)]


def pilot_rankings(
    corpus: EvalPilot, programs: dict[str, str], meetings: Sequence[QmsumMeeting], retriever: str | None
) -> Ranked:
    """Each query searched in its meeting's program, as `pilot search` does."""
    return [
        (
            query,
            [
                _hit_parts(hit)
                for hit in corpus.search(programs[m.meeting_id], query.text, k=DEPTH, retriever=retriever)
            ],
        )
        for m in meetings
        for query in m.queries
    ]


def recipe_rankings(meetings: Sequence[QmsumMeeting], embedder: Embedder) -> Ranked:
    """The plain recipe: the transcript as one text, 1,000-character chunks, cosine top-k."""
    results: Ranked = []
    for meeting in meetings:
        text, starts = "", []
        for turn in meeting.turns:
            starts.append(len(text))
            text += f"{turn.speaker}: {turn.text}\n" if turn.speaker else f"{turn.text}\n"
        spans = recipe_spans(text)
        vectors = embedder([text[a:b] for a, b in spans])
        for query in meeting.queries:
            order = np.argsort(-(vectors @ embedder([query.text])[0]), kind="stable")[:DEPTH]
            results.append((query, [_char_parts(text, starts, *spans[i]) for i in order]))
    return results


def _char_parts(text: str, starts: list[int], a: int, b: int) -> list[tuple[int, int]]:
    """The turns a character range [a, b) of the joined transcript covers, with their words in it."""
    first = max(0, bisect.bisect_right(starts, a) - 1)
    last = max(0, bisect.bisect_right(starts, b - 1) - 1)
    out = []
    for t in range(first, last + 1):
        lo, hi = max(a, starts[t]), min(b, starts[t + 1] if t + 1 < len(starts) else len(text))
        out.append((t, len(text[lo:hi].split())))
    return out


def run_retrieval_eval(
    data_dir: Path,
    split: str,
    *,
    retriever: str = "default",
    baseline: bool = True,
    work_dir: Path | None = None,
    database_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    meetings = load_split(data_dir, split)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "suite": "retrieval",
        "split": split,
        "meetings": len(meetings),
        "queries": sum(len(m.queries) for m in meetings),
        "retriever": retriever,
    }
    with eval_pilot(work_dir=work_dir, database_url=database_url, retriever=retriever) as corpus:
        report["database"] = corpus.pilot.db.engine.dialect.name
        report["embedding_backend"] = embedding_backend(corpus.pilot.settings)
        if progress:
            progress(f"ingesting {len(meetings)} meetings")
        programs = {
            m.meeting_id: corpus.add_meeting(m.meeting_id, meeting_turns(m), source="qmsum") for m in meetings
        }
        if progress:
            progress(f"pilot ({retriever})")
        searched = time.perf_counter()
        report["pilot"] = score_queries(pilot_rankings(corpus, programs, meetings, None))
        report["pilot"]["seconds"] = round(time.perf_counter() - searched, 1)
        if baseline:
            if progress:
                progress("vector-only")
            report["vector_only"] = score_queries(pilot_rankings(corpus, programs, meetings, "vector-only"))
            if progress:
                progress("plain recipe")
            report["recipe"] = score_queries(recipe_rankings(meetings, text_embedder(corpus.pilot.settings)))
    report["goal"] = {"hit@200w": 0.68, "hit@1000w": 0.93}
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report
