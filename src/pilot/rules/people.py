"""The program's people directory: a name as said -> the people it can mean.

Keys are the person id, full name, aliases, e-mail and its local part, and first names of the
name and of each alias. A first name shared by two people ("Alex") matches both, which is
exactly the ambiguity a reviewer has to settle.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pilot.domain.drafts import OwnerResolution
from pilot.domain.program import Person

_HONORIFIC = re.compile(r"^(?:@|mr\.?|ms\.?|mrs\.?|dr\.?)\s*", re.I)


def normalize_name(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


@dataclass(frozen=True)
class OwnerMatch:
    resolution: OwnerResolution
    person_id: str | None = None
    candidates: tuple[str, ...] = ()


class PeopleDirectory:
    """Matches a name as said against id, full name, aliases, e-mail and first names."""

    def __init__(self, people: Sequence[Person]) -> None:
        self.people = list(people)
        self.by_id = {p.id: p for p in self.people}
        self._keys: dict[str, list[Person]] = {}
        for person in self.people:
            keys = {person.id, person.name, *person.aliases}
            if person.email:
                keys |= {person.email, person.email.split("@")[0]}
            first_names = {person.name.split()[0], *(a.split()[0] for a in person.aliases if a.split())}
            for key in keys | first_names:
                bucket = self._keys.setdefault(normalize_name(key), [])
                if person not in bucket:
                    bucket.append(person)

    def match(self, text: str | None) -> list[Person]:
        if not text:
            return []
        return list(self._keys.get(normalize_name(_HONORIFIC.sub("", text.strip())), []))

    def resolve(self, text: str | None) -> OwnerMatch:
        if not text or not text.strip():
            return OwnerMatch(OwnerResolution.MISSING)
        found = self.match(text)
        if len(found) == 1:
            return OwnerMatch(OwnerResolution.RESOLVED, found[0].id, (found[0].id,))
        if found:
            return OwnerMatch(OwnerResolution.AMBIGUOUS, None, tuple(sorted(p.id for p in found)))
        return OwnerMatch(OwnerResolution.UNKNOWN)

    def mentioned_in(self, text: str) -> list[str]:
        """Names said in a text, longest first so "Alex Rivera" wins over "Alex"."""
        lowered = f" {normalize_name(text)} "
        found: list[str] = []
        for key in sorted(self._keys, key=len, reverse=True):
            if len(key) >= 3 and f" {key} " in lowered and not any(key in f for f in found):
                found.append(key)
        return found

    def __contains__(self, person_id: object) -> bool:
        return person_id in self.by_id
