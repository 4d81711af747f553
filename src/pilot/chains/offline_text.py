"""Text handling of the offline engine: clean spoken transcript text, split it, and phrase findings.

Transcripts of speech carry markers (``{vocalsound}``), fillers ("um", "uh"), repeated words and
spaced punctuation. Drafts should read like minutes, so a commitment "I'll look into the costs"
said by the industrial designer becomes "The Industrial Designer will look into the costs".
"""

from __future__ import annotations

import re
from typing import Literal

_MARKERS = re.compile(r"\{[a-z_]+\}|\[[a-z_ ]+\]|<[a-z/_ ]+>", re.I)
_FILLERS = re.compile(
    r"\b(?:um+|uh+|mm+|hmm+|mm-hmm|uh-huh|erm|er|ah|eh|huh|uh-oh|oh)\b[ ,]*",
    re.I,
)
_SPELLED = re.compile(r"\b(?:[A-Za-z]_){2,}")  # AMI spells acronyms as L_C_D_
_REPEATS = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.I)
_SPLIT = re.compile(r"(?<=[.?!])\s+(?=\S)")
_LEAD = re.compile(
    r"^(?:(?:so|okay|ok|'kay|kay|well|and|but|yeah|yes|yep|right|alright|all right|just|like|"
    r"now|then|also|actually|anyway|basically|uh|um|oh|no|sure|fine|good|great|cool)\b[\s,]*)+",
    re.I,
)
_COLLOQUIAL = (
    (re.compile(r"\bgonna\b", re.I), "going to"),
    (re.compile(r"\bwanna\b", re.I), "want to"),
    (re.compile(r"\bgotta\b", re.I), "have to"),
    (re.compile(r"(?<!\w)'cause\b", re.I), "because"),
    (re.compile(r"\bkinda\b", re.I), "kind of"),
)


def clean_spoken(text: str) -> str:
    """Remove transcription markers and fillers, collapse repeats and spaced punctuation."""
    text = _MARKERS.sub(" ", text)
    text = _SPELLED.sub(lambda m: m.group(0).replace("_", "").upper(), text)
    text = text.replace("_", " ")
    text = _FILLERS.sub("", text)
    text = re.sub(r"\s+([,.?!;:])", r"\1", text)
    text = re.sub(r"\s+'(?=(?:ll|s|re|ve|d|m|t)\b)", "'", text)
    text = re.sub(r"\s+n't\b", "n't", text)
    text = _REPEATS.sub(r"\1", text)
    text = re.sub(r"([,.?!])(?:\s*[,.?!])+", r"\1", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" ,-")


def split_sentences(text: str, min_words: int = 4) -> list[str]:
    """Sentences of a cleaned turn with at least `min_words` words."""
    return [part.strip() for part in _SPLIT.split(text) if len(part.split()) >= min_words]


def tidy(sentence: str) -> str:
    """Drop leading discourse markers and colloquialisms; capitalize and end with a full stop."""
    for pattern, replacement in _COLLOQUIAL:
        sentence = pattern.sub(replacement, sentence)
    sentence = _LEAD.sub("", sentence).strip(" ,-")
    if not sentence:
        return ""
    sentence = sentence[0].upper() + sentence[1:]
    if sentence[-1] not in ".?!":
        sentence += "."
    return sentence


_FIRST_PERSON_FUTURE = re.compile(
    r"^(?:i'll|i will|i'm going to|i am going to|i shall|i can|i could|i need to|i have to|i've got to|"
    r"i'm gonna|let me)\s+",
    re.I,
)
_GROUP_FUTURE = re.compile(
    r"^(?:we'll|we will|we're going to|we are going to|we shall|we should|we need to|we have to|"
    r"we've got to|we must|we can|we could|we might|let's|let us|we want to|we'd like to|"
    r"we're gonna)\s+",
    re.I,
)
_GROUP_DECIDED = re.compile(
    r"^we(?:'ve| have)? (?P<verb>decided|agreed|settled on|chose|opted)\s+(?:that\s+)?",
    re.I,
)
_YOU_FUTURE = re.compile(
    r"^(?:you'll|you will|you're going to|you need to|can you|could you|would you)\s+", re.I
)
_PRONOUNS = (
    (re.compile(r"\bwe're\b", re.I), "they are"),
    (re.compile(r"\bwe've\b", re.I), "they have"),
    (re.compile(r"\bwe'll\b", re.I), "they will"),
    (re.compile(r"\bwe'd\b", re.I), "they would"),
    (re.compile(r"\bwe\b(?!-)", re.I), "they"),
    (re.compile(r"\bus\b(?!-)", re.I), "them"),
    (re.compile(r"\bour\b", re.I), "their"),
)


def _third_person(rest: str) -> str:
    for pattern, replacement in _PRONOUNS:
        rest = pattern.sub(replacement, rest)
    return rest


Subject = Literal["speaker", "addressed", "group"]


def minutes_style(sentence: str, speaker: str | None, addressed: str | None = None) -> str:
    """Phrase a spoken sentence as a minutes line: "I'll X" -> "<speaker> will X", "we'll X" -> "The group will X".

    Only the subject is rewritten; the content stays the speaker's words, so a reviewer can still
    recognise the quote.
    """
    return minutes_parts(sentence, speaker, addressed)[0]


def minutes_parts(
    sentence: str, speaker: str | None, addressed: str | None = None
) -> tuple[str, Subject | None, str]:
    """`minutes_style` plus who the subject was ("I" -> speaker, "you" -> addressed, "we" -> group) and the predicate."""
    text = tidy(sentence)
    if not text:
        return text, None, text
    if addressed:  # "Alex, can you ..." -> "can you ..." addressed to Alex
        first = re.escape(addressed.split()[0])
        vocative = re.match(rf"^(?:{re.escape(addressed)}|{first})\s*,\s*", text, re.I)
        if vocative and len(text) > vocative.end():
            text = text[vocative.end()].upper() + text[vocative.end() + 1 :]
    # "For the rest, I'll ask ..." / "Sure, we'll ...": the subject after a short lead-in
    text = re.sub(
        r"^[\w' -]{1,25},\s+(?=(?:i'll|i will|i'm going to|i can|we'll|we will|let's)\b)",
        "",
        text,
        flags=re.I,
    )
    body = text[0].lower() + text[1:]
    who = speaker or "The speaker"
    if match := _GROUP_DECIDED.match(body):
        rest = _subject_rest(body[match.end() :])
        return f"The group {match.group('verb').lower()} {rest}", "group", rest
    if match := _FIRST_PERSON_FUTURE.match(body):
        rest = _subject_rest(body[match.end() :])
        return f"{who} will {rest}", "speaker", rest
    if match := _GROUP_FUTURE.match(body):
        rest = _subject_rest(body[match.end() :])
        return f"The group will {rest}", "group", rest
    if match := _YOU_FUTURE.match(body):
        rest = _subject_rest(body[match.end() :]).replace("?", ".")
        if speaker:  # "can you send me X" -> "<addressed> will send <speaker> X"
            rest = re.sub(r"\bme\b", speaker, rest)
        return f"{addressed or 'They'} will {rest}", "addressed", rest
    return text, None, text


def _subject_rest(rest: str) -> str:
    rest = _third_person(rest).strip()
    rest = re.sub(r"\bI'll\b", "they will", rest)
    return rest if rest.endswith((".", "!", "?")) else rest + "."


_THIRD_PERSON = (
    (r"\bwe're\b", "the group is"),
    (r"\bwe've\b", "the group has"),
    (r"\bwe'll\b", "the group will"),
    (r"\bwe'd\b", "the group would"),
    (r"\bwe\b(?!-)", "the group"),
    (r"\bour\b", "the group's"),
    (r"\bus\b(?!-)", "the group"),
    (r"\byou're\b", "the group is"),
    (r"\byou\b", "the group"),
    (r"\bit's\b", "it is"),
    (r"\bthat's\b", "that is"),
    (r"\bthere's\b", "there is"),
    (r"\bdon't\b", "do not"),
    (r"\bcan't\b", "cannot"),
)
_FIRST_PERSON = (
    (r"\bI'm\b", "{who} is"),
    (r"\bI've\b", "{who} has"),
    (r"\bI'll\b", "{who} will"),
    (r"\bI'd\b", "{who} would"),
    (r"\bI\b", "{who}"),
    (r"\bmy\b", "{who}'s"),
    (r"\bme\b", "{who}"),
)
_YES_NO_QUESTION = re.compile(
    r"^(?P<modal>should|shall|do|does|did|can|could|will|would|is|are|was|were|have|has)\s+(?P<rest>.+?)[?.]*$",
    re.I,
)


_TRAILING = re.compile(
    r"(?:[,;]?\s+(?:promise|anyway|then|though|too|as well|if that's okay|if that works|i think|i guess|"
    r"i hope|hopefully|no worries|for sure|first thing))+[.!]*$",
    re.I,
)


def imperative_task(predicate: str, due: str | None = None) -> str:
    """A task title: the predicate without its due phrase and trailing asides, starting with a verb
    in capitals ("have the rollback runbook done by Friday." -> "Have the rollback runbook done").
    When the due phrase is the task's only object it stays: "take Friday the 27th" -> "Take Friday
    the 27th", not "Take"."""
    text = predicate.strip()
    if due:
        without_due = re.sub(rf"[,]?\s*{re.escape(due)}\b", "", text, count=1, flags=re.I)
        if len(re.findall(r"[A-Za-z0-9']+", without_due)) >= 2:
            text = without_due
    text = re.sub(r"\s+", " ", text).strip(" ,;-")
    # the task, not the clause after it: "..., and then the clock starts", "..., after I talk to X"
    text = re.split(
        r"[,;]\s+(?:and then|but|so|because|after|which|since|then|once|unless)\b", text, maxsplit=1
    )[0]
    text = _TRAILING.sub("", text).rstrip(" .,;!?")
    text = re.sub(r"\s+(?:and|but|so|or)$", "", text, flags=re.I)
    if not text:
        return predicate.strip().rstrip(".") or predicate
    return text[0].upper() + text[1:]


def problem_style(sentence: str, speaker: str | None, addressed: str | None = None) -> str:
    """Phrase a spoken concern as a minutes line about the group: "we can't afford it" -> "The group cannot afford it".

    A yes/no question becomes "Whether ...", the way minutes record an open point.
    """
    text = tidy(sentence)
    if not text:
        return text
    first = re.escape(addressed.split()[0]) if addressed else ""
    vocative = bool(addressed) and re.match(rf"^(?:{re.escape(addressed or '')}|{first})\s*,\s*", text, re.I)
    if addressed and (vocative or text.endswith("?")):  # "Wei, you looked at it?" is about Wei
        text = re.sub(rf"^(?:{re.escape(addressed)}|{first})\s*,\s*", "", text, flags=re.I) or text
        text = re.sub(r"\byou're\b", f"{addressed} is", text, flags=re.I)
        text = re.sub(r"\byou\b", addressed, text, flags=re.I)
        text = re.sub(r"\byour\b", f"{addressed}'s", text, flags=re.I)
    who = speaker or "the speaker"
    for pattern, replacement in _FIRST_PERSON:
        text = re.sub(pattern, replacement.format(who=who), text)
    for pattern, replacement in _THIRD_PERSON:
        text = re.sub(pattern, replacement, text, flags=re.I)
    if text.endswith("?") and (match := _YES_NO_QUESTION.match(text)):
        modal, rest = match.group("modal").lower(), match.group("rest")
        if modal not in ("do", "does", "did"):  # put the verb back after its subject
            subject_words = 2 if rest.lower().startswith("the group ") else 1
            words = rest.split(" ")
            rest = " ".join([*words[:subject_words], modal, *words[subject_words:]])
        text = f"Whether {rest}."
    return text[0].upper() + text[1:]
