"""AMI meeting data for the extraction eval: gold sentences, participants' notes, roles, transcripts.

Layout (see evaldata/README.md): ``ami/ami_public_manual_1.6.2/{abstractive,participantSummaries,
corpusResources}`` for the labels and ``qmsum/data/ALL/<split>/<meeting>.json`` for the speaker-turn
transcripts. Which meetings belong to a split is decided by the QMSum split folders only, so the same
code runs on a data directory that also holds the kept-aside test split.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.errors import ErrorCode, PilotError
from pilot.evals.qmsum import read_meeting, split_dir

GOLD_TYPES = ("actions", "decisions", "problems")
AMI_MEETING_ID = re.compile(r"^(?P<group>(?:ES|IS|TS)\d{4})(?P<phase>[a-d])$")
_NITE = "{http://nite.sourceforge.net/}"
_EMPTY = {"na.", "*na*", "na", "n/a", ""}
ROLE_NAMES = {
    "PM": "Project Manager",
    "ID": "Industrial Designer",
    "UI": "User Interface",
    "ME": "Marketing",
}


@dataclass
class AmiTurn:
    speaker: str
    text: str


@dataclass
class AmiMeeting:
    meeting_id: str
    turns: list[AmiTurn]
    gold: dict[str, list[str]]
    participant_notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def group(self) -> str:
        match = AMI_MEETING_ID.match(self.meeting_id)
        return match.group("group") if match else self.meeting_id

    @property
    def phase(self) -> str:
        match = AMI_MEETING_ID.match(self.meeting_id)
        return match.group("phase") if match else ""


def ami_root(data_dir: Path) -> Path:
    return data_dir / "ami" / "ami_public_manual_1.6.2"


def _sentences(element: ET.Element | None, tag: str) -> list[str]:
    if element is None:
        return []
    out: list[str] = []
    for sentence in element.iter(tag):
        text = " ".join("".join(sentence.itertext()).split())
        if text.lower() not in _EMPTY:
            out.append(text)
    return out


def read_abstractive_gold(path: Path) -> dict[str, list[str]]:
    """The annotators' action, decision and problem sentences of one meeting ("NA." dropped)."""
    root = ET.parse(path).getroot()
    return {kind: _sentences(root.find(kind), "sentence") for kind in GOLD_TYPES}


def read_participant_notes(root: Path, meeting_id: str) -> dict[str, list[str]]:
    """The participants' own post-meeting notes, all participants of the meeting pooled."""
    notes: dict[str, list[str]] = {kind: [] for kind in GOLD_TYPES}
    for path in sorted((root / "participantSummaries").glob(f"{meeting_id}.*.summ.xml")):
        try:
            doc = ET.parse(path).getroot()
        except ET.ParseError:
            continue  # a few files are empty
        for kind in GOLD_TYPES:
            notes[kind].extend(_sentences(doc.find(f"participant_{kind}"), "sent"))
    return notes


def read_all_gold(data_dir: Path) -> dict[str, dict[str, list[str]]]:
    """Gold of every AMI meeting present under `ami/`, keyed by meeting id (for the template baseline)."""
    folder = ami_root(data_dir) / "abstractive"
    return {
        path.name.split(".")[0]: read_abstractive_gold(path) for path in sorted(folder.glob("*.abssumm.xml"))
    }


def read_qmsum_turns(path: Path) -> list[AmiTurn]:
    return [AmiTurn(speaker=turn.speaker, text=turn.text) for turn in read_meeting(path).turns]


def split_meeting_ids(data_dir: Path, split: str) -> list[str]:
    """AMI meetings of a QMSum split that also have abstractive gold."""
    folder = split_dir(data_dir, split)
    if not folder.is_dir():
        raise PilotError(ErrorCode.INVALID_INPUT, f"no QMSum split folder at {folder}")
    gold_dir = ami_root(data_dir) / "abstractive"
    ids = [
        path.stem
        for path in sorted(folder.glob("*.json"))
        if AMI_MEETING_ID.match(path.stem) and (gold_dir / f"{path.stem}.abssumm.xml").exists()
    ]
    return ids


def load_split(data_dir: Path, split: str, *, with_notes: bool = True) -> list[AmiMeeting]:
    """Every AMI meeting of the split with transcript, gold and (optionally) participants' notes."""
    root = ami_root(data_dir)
    if not (root / "abstractive").is_dir():
        raise PilotError(ErrorCode.INVALID_INPUT, f"no AMI abstractive gold under {root}")
    meetings: list[AmiMeeting] = []
    for meeting_id in split_meeting_ids(data_dir, split):
        meetings.append(
            AmiMeeting(
                meeting_id=meeting_id,
                turns=read_qmsum_turns(split_dir(data_dir, split) / f"{meeting_id}.json"),
                gold=read_abstractive_gold(root / "abstractive" / f"{meeting_id}.abssumm.xml"),
                participant_notes=read_participant_notes(root, meeting_id) if with_notes else {},
            )
        )
    return meetings


def template_predictions(
    meeting: AmiMeeting, all_gold: dict[str, dict[str, list[str]]]
) -> list[tuple[str, list[str]]]:
    """Other teams' gold actions for the same phase: (source meeting id, sentences) per other team.

    AMI scenario meetings a-d are the same four phases for every team and the annotators' action
    sentences repeat the phase's assignments, so copying another team's actions is a strong,
    transcript-blind baseline; extraction is reported as its margin over this.
    """
    out: list[tuple[str, list[str]]] = []
    for other_id, gold in sorted(all_gold.items()):
        match = AMI_MEETING_ID.match(other_id)
        if not match or match.group("phase") != meeting.phase or match.group("group") == meeting.group:
            continue
        if gold["actions"]:
            out.append((other_id, gold["actions"]))
    return out


# QMSum names AMI speakers by role; the annotators write "the industrial designer", "the marketing
# expert". Speakers keep their role as their name, spelled as the roles are called.
SPEAKER_NAMES = {
    "Project Manager": "The Project Manager",
    "Industrial Designer": "The Industrial Designer",
    "User Interface": "The User Interface Designer",
    "Marketing": "The Marketing Expert",
}


def meeting_document(meeting: AmiMeeting) -> Document:
    """The meeting as pilot's `Document`, one `Turn` per QMSum turn."""
    turns = [
        Turn(index=i, speaker=SPEAKER_NAMES.get(turn.speaker, turn.speaker) or None, text=turn.text)
        for i, turn in enumerate(meeting.turns)
    ]
    return Document(
        program_id="ami",
        source="qmsum",
        external_id=meeting.meeting_id,
        kind=DocumentKind.TRANSCRIPT,
        title=f"AMI {meeting.meeting_id}",
        text="\n".join(f"{t.speaker}: {t.text}" for t in turns),
        turns=turns,
    )
