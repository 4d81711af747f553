"""The extraction eval: AMI loading, the fixed scoring, and the CLI on a tiny data dir of the same layout."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pilot.chains.offline import OfflineExtractor
from pilot.evals import ami
from pilot.evals.extraction import (
    SentenceVectors,
    TypeCounts,
    match_counts,
    run_extraction_eval,
    score_predictions,
)


class WordEmbedder:
    """Deterministic bag-of-words vectors: identical sentences score 1, unrelated ones near 0."""

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace(".", " ").split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _abssumm(actions: list[str], decisions: list[str], problems: list[str]) -> str:
    def section(tag: str, items: list[str]) -> str:
        items = items or ["NA."]
        body = "".join(f'<sentence nite:id="s.{i}">{s}</sentence>' for i, s in enumerate(items))
        return f'<{tag} nite:id="x.{tag}.1">{body}</{tag}>'

    return (
        '<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>'
        '<nite:root xmlns:nite="http://nite.sourceforge.net/">'
        + section("abstract", ["A meeting."])
        + section("actions", actions)
        + section("decisions", decisions)
        + section("problems", problems)
        + "</nite:root>"
    )


def _qmsum(turns: list[tuple[str, str]]) -> str:
    return json.dumps(
        {"meeting_transcripts": [{"speaker": s, "content": c} for s, c in turns], "topic_list": []}
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "evaldata"
    gold = root / "ami" / "ami_public_manual_1.6.2"
    (gold / "abstractive").mkdir(parents=True)
    (gold / "participantSummaries").mkdir()
    (gold / "corpusResources").mkdir()
    turns = [
        ("Project Manager", "Okay {vocalsound} welcome everyone ."),
        ("Marketing", "I 'll look into the costs of the display by Friday ."),
        ("Industrial Designer", "So we decided to use rubber buttons ."),
        ("User Interface", "The risk is the battery might slip past the budget ."),
    ]
    for split, meeting in (("val", "ES9001a"), ("train", "ES9002a"), ("val", "ES9003b")):
        folder = root / "qmsum" / "data" / "ALL" / split
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{meeting}.json").write_text(_qmsum(turns))
    (root / "qmsum" / "data" / "ALL" / "val" / "Bed002.json").write_text(_qmsum(turns))  # not AMI: skipped
    (gold / "abstractive" / "ES9001a.abssumm.xml").write_text(
        _abssumm(
            ["The Marketing Expert will look into the costs of the display."],
            ["The group decided to use rubber buttons.", "The remote will be yellow."],
            ["The battery might slip past the budget."],
        ),
        encoding="latin-1",
    )
    (gold / "abstractive" / "ES9002a.abssumm.xml").write_text(
        _abssumm(["The Industrial Designer will draw the case."], [], []), encoding="latin-1"
    )
    (gold / "participantSummaries" / "ES9001a.B.summ.xml").write_text(
        '<?xml version="1.0"?><nite:root xmlns:nite="http://nite.sourceforge.net/">'
        '<participant_actions nite:id="a"><sent nite:id="s1">Look into display costs.</sent></participant_actions>'
        "</nite:root>"
    )
    (gold / "participantSummaries" / "ES9001a.C.summ.xml").write_text("")  # empty files exist in AMI
    return root


def test_split_is_decided_by_qmsum_folders_and_gold(data_dir: Path) -> None:
    assert ami.split_meeting_ids(data_dir, "val") == ["ES9001a"]  # ES9003b has no gold, Bed002 is not AMI
    meeting = ami.load_split(data_dir, "val")[0]
    assert meeting.gold["decisions"] == [
        "The group decided to use rubber buttons.",
        "The remote will be yellow.",
    ]
    assert meeting.gold["problems"] == ["The battery might slip past the budget."]
    assert meeting.participant_notes["actions"] == ["Look into display costs."]
    document = ami.meeting_document(meeting)
    assert document.turns[1].speaker == "The Marketing Expert"


def test_template_baseline_uses_other_teams_same_phase(data_dir: Path) -> None:
    meeting = ami.load_split(data_dir, "val")[0]
    template = ami.template_predictions(meeting, ami.read_all_gold(data_dir))
    assert template == [("ES9002a", ["The Industrial Designer will draw the case."])]


def test_hungarian_matching_is_one_to_one_with_threshold() -> None:
    vectors = SentenceVectors(WordEmbedder())
    gold = ["The remote will be yellow.", "The group decided to use rubber buttons."]
    same_twice = ["The remote will be yellow.", "The remote will be yellow."]
    assert match_counts(gold, same_twice, vectors).matched == 1  # one prediction cannot match two golds
    assert match_counts(gold, ["Completely unrelated words here."], vectors).matched == 0
    assert match_counts(gold, [], vectors) == TypeCounts(matched=0, predicted=0, gold=2)


def test_micro_scores_over_meetings() -> None:
    vectors = SentenceVectors(WordEmbedder())
    gold = {"m1": {"actions": ["a b c d"]}, "m2": {"actions": ["e f g h", "i j k l"]}}
    predictions = {"m1": {"actions": ["a b c d", "x y z w"]}}
    totals = score_predictions(gold, predictions, vectors, ["actions"])
    assert totals["actions"].as_dict() | {} == {
        "precision": 0.5, "recall": 0.3333, "f1": 0.4, "matched": 1, "predicted": 2, "gold": 3,
    }  # fmt: skip


def test_run_eval_end_to_end_with_predictions_out(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "predictions"
    report = run_extraction_eval(
        data_dir, "val", engine=OfflineExtractor(), embedder=WordEmbedder(), predictions_out=out
    )
    assert report["meetings"] == 1 and report["split"] == "val"
    scores = report["scores"]
    assert isinstance(scores, dict)
    assert scores["decisions"]["matched"] == 1 and scores["problems"]["matched"] == 1
    assert scores["actions"]["predicted"] == 1
    assert report["engine"]["engine"] == "offline"  # type: ignore[index]
    assert report["template_baseline"]["actions"]["predicted"] == 1  # type: ignore[index]
    written = json.loads((out / "ES9001a.json").read_text())
    assert set(written) == {"actions", "decisions", "problems"}
    assert written["decisions"] == ["The group decided to use rubber buttons."]


def test_cli_eval_extraction_json(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    import pilot.evals.extraction as extraction
    from pilot.evals import commands as eval_cmds

    def build_app() -> typer.Typer:  # only the eval group: other command groups need other layers
        app = typer.Typer()
        app.command("noop")(lambda: None)
        eval_cmds.register(app)
        return app

    monkeypatch.setattr(extraction, "reference_embedder", WordEmbedder)
    monkeypatch.setattr(extraction, "default_engine", OfflineExtractor)
    result = CliRunner().invoke(
        build_app(), ["eval", "extraction", "--data-dir", str(data_dir), "--split", "val", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["scores"]) == {"actions", "decisions", "problems", "macro_f1"}
    missing = CliRunner().invoke(
        build_app(), ["eval", "extraction", "--data-dir", str(data_dir), "--split", "test"]
    )
    assert missing.exit_code == 2  # no such split folder: a user error, not a crash
