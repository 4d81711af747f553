"""Prompt files: Jinja2 in a sandbox with strict undefined, a version in front matter, a content hash.

A prompt file starts with YAML-like front matter (``name``, ``version``) between ``---`` lines,
then ``[system]`` and ``[user]`` sections. Sections are split before rendering, so nothing a
transcript contains can open a new message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from pilot.chains.llm import ChatMessage, Role
from pilot.domain.errors import ErrorCode, PilotError

# Prompt files live in the repository's top-level `prompts/`; the wheel ships them as
# `pilot/prompts/` (hatch force-include), so an installed pilot finds them next to the package.
PACKAGED_PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
REPOSITORY_PROMPTS_DIR = Path(__file__).resolve().parents[3] / "prompts"
PROMPT_DIRS = (PACKAGED_PROMPTS_DIR, REPOSITORY_PROMPTS_DIR)
DEFAULT_PROMPTS_DIR = REPOSITORY_PROMPTS_DIR
_SECTION = re.compile(r"^\[(system|user|assistant)\]\s*$", re.M)


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    sha256: str  # of the file's bytes: any edit changes it, and with it the cache key
    sections: tuple[tuple[Role, str], ...]

    def render(self, variables: Mapping[str, Any]) -> list[ChatMessage]:
        env = _environment()
        messages: list[ChatMessage] = []
        for role, source in self.sections:
            try:
                text = env.from_string(source).render(**variables)
            except TemplateError as exc:
                raise PilotError(
                    ErrorCode.INTERNAL, f"prompt {self.name} v{self.version} failed to render: {exc}"
                ) from exc
            messages.append(ChatMessage(role, text.strip() + "\n"))
        return messages


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def parse_prompt(text: str, *, fallback_name: str) -> PromptTemplate:
    meta: dict[str, str] = {}
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end < 0:
            raise PilotError(ErrorCode.INTERNAL, f"prompt {fallback_name}: front matter is not closed")
        for line in text[3:end].strip().splitlines():
            key, _, value = line.partition(":")
            if key.strip():
                meta[key.strip()] = value.strip().strip("'\"")
        body = text[end + 4 :].lstrip("\n")
    parts = _SECTION.split(body)
    sections: list[tuple[Role, str]] = []
    for index in range(1, len(parts) - 1, 2):
        role = parts[index]
        if role in ("system", "user", "assistant"):
            sections.append((role, parts[index + 1]))  # type: ignore[arg-type]  # checked just above
    if not sections:
        raise PilotError(ErrorCode.INTERNAL, f"prompt {fallback_name}: no [system]/[user] sections")
    if "version" not in meta:
        raise PilotError(ErrorCode.INTERNAL, f"prompt {fallback_name}: front matter lacks a version")
    return PromptTemplate(
        name=meta.get("name", fallback_name),
        version=meta["version"],
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        sections=tuple(sections),
    )


def load_prompt(name: str, prompts_dir: Path | None = None) -> PromptTemplate:
    """Load ``<prompts dir>/<name>.j2``, e.g. ``load_prompt("extract/extract")``."""
    candidates = [prompts_dir] if prompts_dir else list(PROMPT_DIRS)
    path = next((d / f"{name}.j2" for d in candidates if (d / f"{name}.j2").is_file()), None)
    if path is None:
        where = ", ".join(str(d) for d in candidates)
        raise PilotError(ErrorCode.CONFIGURATION, f"prompt file {name}.j2 not found in {where}")
    return parse_prompt(path.read_text(encoding="utf-8"), fallback_name=name)
