"""The program's own words for the question parser: people (names, aliases, handles, e-mails),
teams, milestones and record ids, each found in a question and replaced by a placeholder.
Pure: built from `ProgramData`, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pilot.domain.program import COLLECTIONS, ProgramData

# Words that are also names ("Will", "May"): taken as a name only when capitalised mid-sentence.
_COMMON_WORDS = frozenset(
    "will may can mark bill rob sue jo pat art june april august grant hope faith joy rose max ray bob jack "
    "chase dean drew frank gene lance miles rich sage wade".split()
)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9@._'+-]+", text.lower().replace("’", "'")))


@dataclass(frozen=True)
class Mention:
    kind: str  # person | team | milestone | record
    said: str  # as written in the question
    ids: tuple[str, ...]  # what it can mean (two people for a shared first name)


@dataclass
class Vocabulary:
    """Phrases that name something in the program, longest first."""

    people: dict[str, set[str]] = field(default_factory=dict)  # key -> person ids
    teams: dict[str, str] = field(default_factory=dict)  # key -> team id
    milestones: dict[str, str] = field(default_factory=dict)  # key -> milestone id
    records: dict[str, str] = field(default_factory=dict)  # normalised id -> ref
    strict_names: set[str] = field(default_factory=set)  # keys that must be capitalised to count
    words: set[str] = field(default_factory=set)  # every word of the records' texts, plurals folded

    @classmethod
    def of(cls, data: ProgramData) -> Vocabulary:
        vocab = cls()
        for person in data.people:
            keys = {person.name, person.id, *person.aliases}
            if person.email:
                keys |= {person.email, person.email.split("@")[0]}
            keys |= {person.name.split()[0], *(a.split()[0] for a in person.aliases if a.split())}
            for key in keys:
                normal = _norm(key).lstrip("@")
                if len(normal) >= 2:
                    vocab.people.setdefault(normal, set()).add(person.id)
                    if normal in _COMMON_WORDS:
                        vocab.strict_names.add(normal)
        for team in data.teams:
            name = re.sub(r"\s*\([^)]*\)", "", team.name).strip()
            for key in {name, team.name, team.id, re.sub(r"^the\s+", "", name, flags=re.I)}:
                normal = _norm(key)
                if len(normal) >= 2:
                    vocab.teams[normal] = team.id
        for milestone in data.milestones:
            vocab.milestones[_norm(milestone.name)] = milestone.id
        shorts: dict[str, set[str]] = {}
        for milestone in data.milestones:
            short = _norm(short_name(milestone.name))
            if short and short != _norm(milestone.name):
                shorts.setdefault(short, set()).add(milestone.id)
        for short, ids in shorts.items():
            if len(ids) == 1 and short not in vocab.milestones:
                vocab.milestones[short] = next(iter(ids))  # "Cutover wave 1" for "Cutover wave 1 (10% ...)"
        from pilot.rules.intent_topics import words_of
        from pilot.rules.record_views import record_views

        for view in record_views(data):
            vocab.words |= words_of(f"{view.title} {view.secondary}")
        for collection, record_type in COLLECTIONS.items():
            if record_type in ("person", "team"):
                continue
            for record in getattr(data, collection):
                vocab.records[_id_key(record.id)] = f"{record_type}:{record.id}"
        return vocab


def short_name(name: str) -> str:
    """A milestone's name without its explanation: before " (" or ": "."""
    return re.split(r"\s+\(|:\s", name, maxsplit=1)[0].strip()


def _id_key(record_id: str) -> str:
    """'M-07', 'm7' and 'M 07' are one id: letters, then the number without leading zeros."""
    match = re.fullmatch(r"([A-Za-z]+)[\s_-]*0*(\d+)", record_id.strip())
    return f"{match.group(1).lower()}-{match.group(2)}" if match else record_id.strip().lower()


_ID = re.compile(r"\b([A-Za-z]{1,6})[\s_-]?(\d{1,6})\b")
_QUOTED = re.compile(r"[\"“”]([^\"“”]{3,120})[\"“”]|(?<!\w)'([^'\"“”]{3,120})'(?!\w)")


def find_mentions(question: str, vocab: Vocabulary) -> tuple[str, list[Mention]]:
    """Replace what names a program thing with placeholders; return the new text and the mentions."""
    text = question.replace("’", "'").replace("‘", "'")
    mentions: list[Mention] = []

    def quoted(match: re.Match[str]) -> str:
        said = match.group(1) or match.group(2)
        milestone_id = _quoted_milestone(_norm(said), vocab.milestones)
        if milestone_id is None:
            return match.group(0)
        mentions.append(Mention("milestone", said, (milestone_id,)))
        return " ⟨m⟩ "

    text = _QUOTED.sub(quoted, text)

    def record_id(match: re.Match[str]) -> str:
        ref = vocab.records.get(f"{match.group(1).lower()}-{int(match.group(2))}")
        if ref is None:
            return match.group(0)
        record_type, record_id_ = ref.split(":", 1)
        if record_type == "milestone":
            mentions.append(Mention("milestone", match.group(0), (record_id_,)))
            return " ⟨m⟩ "
        mentions.append(Mention("record", match.group(0), (ref,)))
        return " ⟨r⟩ "

    text = _ID.sub(record_id, text)
    text = re.sub(r"⟨m⟩\s*\(([^)]*)\)", lambda m: _drop_if_name(m, vocab), text)
    text = _replace_phrases(text, vocab.milestones, "milestone", mentions, min_words=3)
    text = _replace_people(text, vocab, mentions)
    text = _replace_teams(text, vocab, mentions)
    return text, mentions


def _quoted_milestone(phrase: str, milestones: dict[str, str]) -> str | None:
    """The milestone a quoted phrase names: an exact name (full or short) wins over a name that
    starts with the phrase, which wins over one that holds it as whole words; among equals the
    shortest name (the phrase is most of it). None when no name holds the phrase."""
    if not phrase:
        return None
    ranked: list[tuple[int, int, str]] = []
    for name, milestone_id in milestones.items():
        if phrase == name:
            rank = 0
        elif len(phrase) <= 8:
            continue
        elif name.startswith(phrase + " "):
            rank = 1
        elif re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", name):
            rank = 2
        elif phrase in name:
            rank = 3
        else:
            continue
        ranked.append((rank, len(name), milestone_id))
    return min(ranked)[2] if ranked else None


def _drop_if_name(match: re.Match[str], vocab: Vocabulary) -> str:
    inner = _norm(match.group(1))
    return " ⟨m⟩ " if any(inner and inner in name for name in vocab.milestones) else match.group(0)


def _replace_phrases(
    text: str, table: dict[str, str], kind: str, mentions: list[Mention], *, min_words: int
) -> str:
    for phrase in sorted(table, key=len, reverse=True):
        if len(phrase.split()) < min_words:
            continue
        pattern = re.compile(
            r"(?<![\w-])" + r"[\s,-]+".join(map(re.escape, phrase.split())) + r"(?![\w-])", re.I
        )
        match = pattern.search(text)
        if match:
            mentions.append(Mention(kind, match.group(0), (table[phrase],)))
            text = text[: match.start()] + " ⟨m⟩ " + text[match.end() :]
    return text


def _replace_people(text: str, vocab: Vocabulary, mentions: list[Mention]) -> str:
    for key in sorted(vocab.people, key=len, reverse=True):
        words = key.split()
        body = r"\s+".join(re.escape(w) for w in words)
        pattern = re.compile(rf"(?<![\w.@-])@?{body}(?:'s|s')?(?![\w@-]|\.\w)", re.I)
        for match in list(pattern.finditer(text)):
            said = match.group(0)
            if key in vocab.strict_names and (not said[:1].isupper() or match.start() == 0):
                continue
            if len(words) == 1 and "@" not in said and "." not in key and not said[:1].isupper():
                continue  # a lower-case common word, not a name
            mentions.append(Mention("person", re.sub(r"'s$|s'$", "", said), tuple(sorted(vocab.people[key]))))
            text = text[: match.start()] + " ⟨p⟩ " + text[match.end() :]
            break
    return text


def _replace_teams(text: str, vocab: Vocabulary, mentions: list[Mention]) -> str:
    for key in sorted(vocab.teams, key=len, reverse=True):
        body = r"[\s,-]+".join(re.escape(w) for w in key.split())
        pattern = re.compile(rf"(?<![\w-])(?:the\s+)?{body}(?:\s+team)?(?![\w-])", re.I)
        match = pattern.search(text)
        if match is None:
            continue
        said = match.group(0)
        single = len(key.split()) == 1
        if single and not (re.search(r"[A-Z]", said) or said.lower().endswith(" team") or "-" in key):
            continue  # "ledger" the word, not the Ledger team
        mentions.append(Mention("team", said, (vocab.teams[key],)))
        text = text[: match.start()] + " ⟨t⟩ " + text[match.end() :]
    return text
