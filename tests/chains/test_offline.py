"""The offline engine on a small realistic transcript: cues, owners, dates, and the exemplar scorer."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

import numpy as np
import pytest

from pilot.chains.offline import OfflineExtractor, OfflineModel, OfflineParams
from pilot.chains.offline_text import clean_spoken, minutes_style, problem_style
from pilot.domain.drafts import DraftKind, OwnerResolution
from pilot.domain.program import RaidKind
from pilot.pipeline.extract_grounding import extract

from .conftest import meeting_document

SYNC = [
    ("Dana Whitfield", "Hi everyone, let's give people another minute to join. Omar, can you hear me okay?"),
    ("Omar Farouk", "Yep, loud and clear. Just grabbing a coffee, it was a long weekend of load tests."),
    ("Dana Whitfield", "Okay. Failover next. Hannah, where are we with the quota?"),
    ("Hannah Cho", "Still blocked on the VPC peering quota. I'll get AWS to confirm the quota by Wednesday."),
    ("Priya Raman", "The risk is the case sits with AWS for another week and then we're out of runway."),
    ("Dana Whitfield", "Alex, can you send me the app store submission plan by tomorrow?"),
    ("Alex Rivera", "Sure, I'll send it tomorrow morning. And we agreed to ship v3 with the web fallback."),
    ("Omar Farouk", "I'll have the rollback runbook done by Friday."),
    ("Dana Whitfield", "Thanks. I'll bring snacks next time, promise."),
    ("Jordan Ellis", "Reconciliation might slip if the backfill finds more than refunds."),
]


def test_cue_engine_finds_dated_commitments_decision_and_risks(program) -> None:  # type: ignore[no-untyped-def]
    result = extract(meeting_document(SYNC), engine=OfflineExtractor(), program=program)
    actions = {d.payload.owner_id: d.payload for d in result.of_kind(DraftKind.ACTION_ITEM)}
    assert set(actions) == {None, "alex.rivera", "omar.farouk"} or set(actions) >= {
        "alex.rivera",
        "omar.farouk",
    }
    assert actions["omar.farouk"].due == date(2026, 11, 20)
    assert actions["alex.rivera"].due == date(2026, 11, 17)  # "Alex" answered by Alex Rivera
    hannah = [
        d.payload
        for d in result.of_kind(DraftKind.ACTION_ITEM)
        if d.payload.owner_text == "Hannah Cho" and d.payload.due == date(2026, 11, 18)  # "I": the speaker
    ]
    assert (
        len(hannah) == 1 and hannah[0].owner_resolution == OwnerResolution.UNKNOWN
    )  # Hannah is not in this program
    assert not any("snacks" in d.text for d in result.drafts)  # no due phrase: not a strong commitment
    decisions = [d.text for d in result.of_kind(DraftKind.DECISION)]
    assert decisions == ["The group agreed to ship v3 with the web fallback."]
    raid = [(d.payload.kind, d.payload.evidence.turn_index) for d in result.of_kind(DraftKind.RAID)]
    assert raid == [(RaidKind.ISSUE, 4), (RaidKind.RISK, 5), (RaidKind.RISK, 10)]
    assert all(d.payload.evidence and d.payload.evidence.verified for d in result.drafts)
    assert result.provenance.engine == "offline" and result.provenance.model == "offline-cues"
    assert result.usage.calls == 0


class WordHashEmbedder:
    """A deterministic stand-in for MiniLM: bag of hashed words, L2-normalized."""

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in clean_spoken(text).lower().split():
                out[row, int(hashlib.md5(word.strip(".,?!").encode()).hexdigest(), 16) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def test_exemplar_scorer_fills_the_budget_with_exemplar_like_sentences() -> None:
    embed = WordHashEmbedder()
    model = OfflineModel(
        exemplars={
            "actions": embed(["The Marketing Expert will look into the costs of the display."]),
            "decisions": embed(["The remote will have rubber buttons."]),
            "problems": embed(["The battery may be too expensive for the budget."]),
        },
        params=OfflineParams(budgets={"actions": 1, "decisions": 1, "problems": 1}),
    )
    turns = [
        ("Project Manager", "Okay, welcome to the meeting about the remote control."),
        ("Marketing", "Um, I'll look into the costs of the display."),
        ("Industrial Designer", "The remote will have rubber buttons, I think, they're nice."),
        ("User Interface", "The battery is too expensive for our budget."),
        ("Project Manager", "Good, see you all next time then."),
    ]
    engine = OfflineExtractor(embedder=embed, model=model)
    result = extract(meeting_document(turns), engine=engine)
    texts = {kind: [d.text for d in result.of_kind(kind)] for kind in DraftKind}
    assert texts[DraftKind.ACTION_ITEM] == ["Marketing will look into the costs of the display."]
    assert texts[DraftKind.DECISION] == ["The remote will have rubber buttons, I think, they're nice."]
    assert texts[DraftKind.RAID] == ["The battery is too expensive for the group's budget."]
    assert result.provenance.model == "offline-minilm-exemplars"


def test_model_file_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = OfflineModel(
        exemplars={"actions": np.eye(3, dtype=np.float32)},
        params=OfflineParams(budgets={"actions": 2, "decisions": 1, "problems": 4}),
    )
    model.save(tmp_path / "m.npz")
    loaded = OfflineModel.load(tmp_path / "m.npz")
    assert loaded is not None and loaded.params.budgets["problems"] == 4
    assert np.allclose(loaded.exemplars["actions"], np.eye(3))
    assert OfflineModel.load(tmp_path / "missing.npz") is None


def test_spoken_text_is_cleaned_and_phrased_as_minutes() -> None:
    raw = "Um {vocalsound} so I 'll look into the the L_C_D_ costs {disfmarker} ."
    assert clean_spoken(raw) == "so I'll look into the LCD costs."
    assert (
        minutes_style(clean_spoken(raw), "The Industrial Designer")
        == "The Industrial Designer will look into the LCD costs."
    )
    assert minutes_style("let's go with the rubber case", "X") == "The group will go with the rubber case."
    assert (
        minutes_style("we decided to use a kinetic battery", "X")
        == "The group decided to use a kinetic battery."
    )
    assert (
        minutes_style("can you send the plan by Friday?", "Dana", "Omar")
        == "Omar will send the plan by Friday."
    )
    assert problem_style("should we use a rubber case?", "X") == "Whether the group should use a rubber case."
    assert problem_style("is it too expensive?", "X") == "Whether it is too expensive."
    assert problem_style("we can't afford the LCD", "X") == "The group cannot afford the LCD."
    assert problem_style("the us-east-1 failover is blocked", "X") == "The us-east-1 failover is blocked."


def test_a_long_transcript_reports_progress_while_it_is_read_and_stops_when_told() -> None:
    """A report is where a job that lost its lease stops (pipeline/jobs): a 200k-turn paste must not
    run to its end unheard after its worker shut down."""
    turns = meeting_document(SYNC * 1_000).turns  # 10,000 turns
    reports: list[tuple[int, int]] = []
    OfflineExtractor().extract_turns(turns, progress=lambda done, total: reports.append((done, total)))
    assert len(reports) >= 6 and reports[-1] == (len(turns), len(turns))
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)

    class Stop(Exception):
        pass

    seen: list[int] = []

    def stop_early(done: int, total: int) -> None:
        seen.append(done)
        raise Stop

    with pytest.raises(Stop):
        OfflineExtractor().extract_turns(turns, progress=stop_early)
    assert seen == [500]  # the first report: 2,000 turns cleaned (reading is half the work, in two passes)
