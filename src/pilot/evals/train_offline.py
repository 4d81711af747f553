"""Build the offline engine's model file from the AMI *train* split (never val or test).

    python -m pilot.evals.train_offline --data-dir ../shared/evaldata [--search] [--out PATH]

The exemplar banks are the MiniLM vectors of the annotators' action, decision and problem sentences
of the train meetings. `--search` re-tunes the selection settings (confidence floors, budgets) by
leave-one-team-out on train: each team's meetings are scored against exemplars from the other teams
only, so the settings do not reward memorizing a team. Deterministic: same data, same file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pilot.chains.offline import (  # the engine's own internals: see the `evals` contract
    KINDS,
    MODEL_PATH,
    OfflineModel,
    OfflineParams,
    nearest_exemplars,
    row_confidences,
    select_rows,
    sentence_rows,
)
from pilot.evals.ami import AmiMeeting, load_split, meeting_document
from pilot.evals.extraction import SentenceVectors, TypeCounts, match_counts
from pilot.pipeline.search import reference_embedder

Vectors = npt.NDArray[np.float32]
SEARCH_FLOORS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)
SEARCH_BUDGETS = (2, 3, 4, 5, 6)


def build_banks(meetings: list[AmiMeeting], vectors: SentenceVectors) -> dict[str, Vectors]:
    banks: dict[str, Vectors] = {}
    for kind in KINDS:
        sentences = sorted({s for m in meetings for s in m.gold[kind]})
        banks[kind] = vectors.matrix(sentences)
    return banks


def search_params(meetings: list[AmiMeeting], vectors: SentenceVectors, base: OfflineParams) -> OfflineParams:
    """Per kind, the confidence floor and budget with the best leave-one-team-out micro F1 on train
    (each kind scored on its own: the one-kind-per-sentence assignment is not searched)."""
    prepared = []
    for meeting in meetings:
        rows = sentence_rows(meeting_document(meeting).turns, min_words=base.min_words)
        others = [m for m in meetings if m.group != meeting.group]
        per_kind = {}
        for kind in KINDS:
            texts = [row.phrased[kind] for row in rows]
            row_vectors = vectors.matrix(texts)
            bank = vectors.matrix(sorted({s for m in others for s in m.gold[kind]}))
            nearest = nearest_exemplars(row_vectors, bank, base.neighbours)
            per_kind[kind] = (row_vectors, row_confidences(kind, rows, nearest, base), texts)
        prepared.append((meeting, rows, per_kind))
    budgets, floors = dict(base.budgets), dict(base.min_confidence)
    for kind in KINDS:
        best: tuple[float, float, int] | None = None
        for floor, budget in itertools.product(SEARCH_FLOORS, SEARCH_BUDGETS):
            params = replace(base, budgets={**budgets, kind: budget}, min_confidence={**floors, kind: floor})
            total = TypeCounts()
            for meeting, rows, per_kind in prepared:
                row_vectors, score, texts = per_kind[kind]
                chosen = select_rows(kind, rows, row_vectors, score, params)
                total.add(match_counts(meeting.gold[kind], [texts[i] for i, _ in chosen], vectors))
            if best is None or total.f1 > best[0] + 1e-9:
                best = (total.f1, floor, budget)
        assert best is not None
        sys.stderr.write(
            f"{kind}: leave-one-team-out F1 {best[0]:.3f} with confidence floor {best[1]} and budget {best[2]}\n"
        )
        floors[kind], budgets[kind] = best[1], best[2]
    return replace(base, budgets=budgets, min_confidence=floors)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--search", action="store_true", help="re-tune selection settings on train")
    args = parser.parse_args(argv)
    meetings = load_split(args.data_dir, "train", with_notes=False)
    vectors = SentenceVectors(reference_embedder())
    params = OfflineParams()
    if args.search:
        params = search_params(meetings, vectors, params)
    model = OfflineModel(exemplars=build_banks(meetings, vectors), params=params)
    model.save(args.out)
    sizes = {kind: int(bank.shape[0]) for kind, bank in model.exemplars.items()}
    report = {"out": str(args.out), "meetings": len(meetings), "exemplars": sizes, "params": params.__dict__}
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
