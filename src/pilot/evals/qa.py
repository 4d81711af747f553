"""Question answering on ELITR-Bench meetings, offline: does `pilot ask` give the answer?

Each meeting's transcript is uploaded into a program of its own in a temporary data directory,
and each question is asked through `pipeline.ask.ask` (what `pilot ask` runs, with its retrieval
settings). What the user sees, the answer and then its cited passages, is cut at 500 words. A question counts as answered when at least 80% of the gold answer's
content tokens appear in the cited passages. Tokens are lowercased words; `(PERSONn)` and
`[PERSONn]` (likewise ORGANIZATIONn, PROJECTn...) are one token `personn`; punctuation and
common stop words are dropped. The plain recipe (1,000-character chunks, MiniLM vectors, top 3)
is scored by the same rule. The zip is read in place with its password; nothing is extracted.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from pilot.domain.answers import Answer
from pilot.domain.documents import Turn
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.program import ProgramData, ProgramInfo
from pilot.evals.recipe import recipe_chunks
from pilot.pipeline.ask import ask
from pilot.pipeline.ask_retrieval import BUDGET_WORDS as ASK_BUDGET
from pilot.pipeline.ask_retrieval import CANDIDATES
from pilot.pipeline.context import Pilot, open_pilot
from pilot.pipeline.ingest import ingest_upload
from pilot.pipeline.llm import StructuredLLM, load_prompt
from pilot.pipeline.programs import save_program_data
from pilot.pipeline.search import Embedder, embedding_backend, text_embedder, use_embedder
from pilot.settings import Settings, get_settings

PASSWORD = b"utter"
BUDGET_WORDS = 500
STOP = frozenset(
    "a an the and or but of to in on at by for with from as is are was were be been being it its this that these "
    "those there their they them he she his her we our you your i me my not no yes do does did will would can could "
    "should shall may might must have has had so if then than also about into over after before up down out what who "
    "when where which how many much whom whose".split()
)
_ENTITY = re.compile(
    r"[\[(]((?:PERSON|ORGANIZATION|PROJECT|LOCATION|NUMBER|URL|EMAIL|PHONE|DATE|TIME|OTHER)[A-Z]*\d*)[\])]",
    re.I,
)
_WORD = re.compile(r"[a-z0-9]+")
_SPEAKER = re.compile(r"^\(([A-Z]+\d+)\)\s*(.*)$")


def tokens(text: str) -> list[str]:
    text = _ENTITY.sub(lambda m: f" {m.group(1).lower()} ", text)
    return [t for t in _WORD.findall(text.lower()) if t not in STOP]


def covered(gold: str, passages: Sequence[str]) -> bool:
    wanted = set(tokens(gold))
    if not wanted:
        return False
    words = " ".join(passages).split()[:BUDGET_WORDS]
    have = set(tokens(" ".join(words)))
    return len(wanted & have) / len(wanted) >= 0.8


@dataclass
class Meeting:
    meeting_id: str
    turns: list[Turn]
    questions: list[dict[str, Any]]


def load_split(data_dir: Path, split: str) -> list[Meeting]:
    folder = data_dir / "elitr-bench"
    archives = sorted(folder.glob("*.zip"))
    if not archives:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{folder}: no ELITR-Bench zip here")
    qa: dict[str, Any] | None = None
    transcripts: dict[str, str] = {}
    for archive in archives:
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                if name.endswith(f"elitr-bench-qa_{split}.json"):
                    qa = json.loads(z.read(name, pwd=PASSWORD))
                elif "/transcript_" in name and name.endswith(".txt"):
                    meeting = name.split("/")[-2]
                    transcripts.setdefault(meeting, z.read(name, pwd=PASSWORD).decode("utf-8", "replace"))
    if qa is None:
        raise PilotError(ErrorCode.INVALID_INPUT, f"{folder}: no question file for split {split!r}")
    meetings = []
    for entry in qa["meetings"]:
        text = transcripts.get(entry["id"])
        if text is None:
            continue
        meetings.append(Meeting(entry["id"], parse_elitr(text), list(entry["questions"])))
    return meetings


def parse_elitr(text: str) -> list[Turn]:
    turns: list[Turn] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _SPEAKER.match(line)
        if match:
            turns.append(Turn(index=len(turns), speaker=match.group(1), text=match.group(2)))
        elif turns:
            turns[-1] = turns[-1].model_copy(update={"text": f"{turns[-1].text} {line}"})
        else:
            turns.append(Turn(index=0, text=line))
    return turns


def meeting_vtt(meeting: Meeting) -> bytes:
    """The meeting as a WebVTT file with voice tags, so it is ingested like any uploaded transcript."""
    cues = ["WEBVTT", ""]
    for number, turn in enumerate(meeting.turns):
        start, end = _clock(number * 10), _clock(number * 10 + 9)
        voice = f"<v {turn.speaker}>" if turn.speaker else ""
        cues += [str(number + 1), f"{start} --> {end}", f"{voice}{turn.text}", ""]
    return "\n".join(cues).encode("utf-8")


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}.000"


def answer_texts(answer: Answer) -> list[str]:
    """What `pilot ask` shows, in order: the answer, then each cited passage."""
    return [answer.text, *(c.quote for c in answer.citations)]


def recipe_passages(embedder: Embedder, meeting: Meeting, questions: Sequence[str]) -> list[list[str]]:
    text = "\n".join(f"({t.speaker}) {t.text}" if t.speaker else t.text for t in meeting.turns)
    chunks = recipe_chunks(text)
    vectors = embedder(chunks)
    out = []
    for question in questions:
        order = np.argsort(-(vectors @ embedder([question])[0]), kind="stable")[:3]
        out.append([chunks[i] for i in order])
    return out


class Verdict(BaseModel):
    """The judge's structured verdict."""

    model_config = ConfigDict(extra="forbid")

    correct: bool
    reason: str


def llm_accuracy(meetings: Sequence[Meeting], pilot: Pilot, llm: StructuredLLM) -> dict[str, Any]:
    """`pilot ask` with the LLM configured answers each question; the same LLM judges it against the gold.

    Judging method: the `qa/judge` prompt asks the model whether the candidate states the gold
    answer's key facts (people, dates, numbers, decisions), placeholders such as [PERSON6]
    counting as the same person; the verdict is structured output (correct, reason). A failed call
    counts as wrong."""
    judge_prompt = load_prompt("qa/judge")
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for meeting in meetings:
        for q in meeting.questions:
            correct = False
            try:
                answered = ask(pilot, program_id_for(meeting), q["question"], use_llm=True)
            except PilotError:
                answered = None
            if answered is not None:
                verdict = llm.invoke(
                    judge_prompt.render(
                        {
                            "question": q["question"],
                            "gold": q["groundtruth-answer"],
                            "candidate": answered.text,
                        }
                    ),
                    Verdict,
                )
                correct = bool(verdict.parsed and verdict.parsed.correct)
            kind = q.get("question-type", "other")
            per_type[kind][0] += correct
            per_type[kind][1] += 1
    total = sum(v[1] for v in per_type.values())
    return {
        "accuracy": round(sum(v[0] for v in per_type.values()) / total, 4) if total else None,
        "by_type": {k: round(v[0] / v[1], 4) for k, v in sorted(per_type.items())},
        "model": llm.model_name,
        "judge": "LLM judge, prompts/qa/judge.j2: key facts of the gold answer stated, placeholders equal",
    }


def program_id_for(meeting: Meeting) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", meeting.meeting_id)[:64]


def load_meetings(pilot: Pilot, meetings: Sequence[Meeting], progress: Callable[[str], None] | None) -> None:
    """Each meeting becomes a program of its own with its transcript uploaded, as a user would."""
    for meeting in meetings:
        if progress:
            progress(meeting.meeting_id)
        program_id = program_id_for(meeting)
        save_program_data(
            pilot, ProgramData(program=ProgramInfo(id=program_id, name=meeting.meeting_id)), source="eval"
        )
        ingest_upload(pilot, program_id, meeting_vtt(meeting), f"{meeting.meeting_id}.vtt")


def run_qa_eval(
    data_dir: Path,
    split: str,
    *,
    embedder: Embedder | None = None,
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
    llm: StructuredLLM | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Every question is asked through `pipeline.ask.ask`, the function `pilot ask` calls, with the
    settings `pilot ask` uses, on a temporary data directory holding one program per meeting."""
    started = time.perf_counter()
    meetings = load_split(data_dir, split)
    base = settings or get_settings()
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    recipe_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with tempfile.TemporaryDirectory(prefix="pilot-eval-qa-") as folder:
        scratch = base.model_copy(update={"data_dir": Path(folder), "database_url": None, "chroma_url": None})
        pilot = open_pilot(scratch, actor="eval")
        try:
            if embedder is not None:
                use_embedder(pilot, embedder)
            load_meetings(pilot, meetings, progress)
            vectors = embedder or text_embedder(scratch)
            for meeting in meetings:
                recipe = (
                    recipe_passages(vectors, meeting, [q["question"] for q in meeting.questions])
                    if baseline
                    else []
                )
                for position, q in enumerate(meeting.questions):
                    kind = q.get("question-type", "other")
                    answer = ask(pilot, program_id_for(meeting), q["question"], use_llm=False)
                    per_type[kind][0] += covered(q["groundtruth-answer"], answer_texts(answer))
                    per_type[kind][1] += 1
                    if baseline:
                        recipe_type[kind][0] += covered(q["groundtruth-answer"], recipe[position])
                        recipe_type[kind][1] += 1
            llm_report = llm_accuracy(meetings, pilot, llm) if llm is not None else None
        finally:
            pilot.close()

    def summary(table: dict[str, list[int]]) -> dict[str, Any]:
        total = sum(v[1] for v in table.values())
        return {
            "top_hit": round(sum(v[0] for v in table.values()) / total, 4) if total else None,
            "by_type": {k: round(v[0] / v[1], 4) for k, v in sorted(table.items())},
            "questions": total,
        }

    report: dict[str, Any] = {
        "suite": "qa",
        "split": split,
        "meetings": len(meetings),
        "path": "pipeline.ask.ask",
        "rule": "offline, 80% of gold content tokens in the answer and its cited passages, cut at 500 words",
        **summary(per_type),
    }
    if baseline:
        report["recipe"] = summary(recipe_type)
    if llm_report is not None:
        report["llm"] = llm_report
    report["settings"] = {
        "embedding_backend": embedding_backend(scratch),
        "candidates": CANDIDATES,
        "budget_words": ASK_BUDGET,
    }
    report["goal"] = {"top_hit_min": 0.60}
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report
