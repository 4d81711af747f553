"""`pilot eval extraction --sample`: the scoring, and the sample's goals on the cue engine."""

from __future__ import annotations

from pilot.chains.offline import OfflineExtractor
from pilot.domain.drafts import ActionItemDraft, DraftKind, Evidence, OwnerResolution
from pilot.evals.sample_extraction import SampleScore, quote_overlap, run_sample_eval, score_meeting
from pilot.pipeline.extract_grounding import ExtractedDraft


def _action(quote: str, owner: str | None, due: str | None) -> ExtractedDraft:
    payload = ActionItemDraft(
        task=quote, owner_id=owner, owner_resolution=OwnerResolution.RESOLVED, due=due,
        evidence=Evidence(quote=quote, verified=True),
    )  # fmt: skip
    return ExtractedDraft(kind=DraftKind.ACTION_ITEM, payload=payload, text=quote)


def test_drafts_pair_one_to_one_by_quote_and_the_rest_is_junk() -> None:
    meeting = {
        "file": "m.vtt",
        "action_items": [
            {"quote": "I'll send the plan by Friday", "owner": "a.b", "due": "2026-11-20"},
            {"quote": "I'll fix the build today", "owner": "c.d", "due": "2026-11-16"},
        ],
    }
    drafts = [
        _action("Sure. I'll send the plan by Friday.", "a.b", "2026-11-20"),
        _action("I'll send the plan by Friday, promise.", "a.b", "2026-11-20"),  # a second copy: junk
        _action("I'll fix the build today.", "x.y", "2026-11-16"),  # wrong owner
    ]
    score = SampleScore()
    score_meeting(meeting, drafts, score)
    report = score.report()
    assert report["items"]["matched"] == 2 and report["drafts"] == 3
    assert report["junk_share"] == round(1 / 3, 4)
    assert report["owner_accuracy"] == 0.5 and report["due_accuracy"] == 1.0
    assert quote_overlap("the plan", "send the plan by Friday") == 1.0
    assert quote_overlap("", "x") == 0.0


def test_the_sample_meets_its_goals_with_the_cue_engine() -> None:
    report = run_sample_eval(engine=OfflineExtractor())
    assert report["owner_accuracy"] >= 0.95 and report["due_accuracy"] >= 0.95
    assert report["junk_share"] <= 0.10
    assert report["items"]["f1"] >= 0.8
