"""The configured language model and the engine types, for the layers above the pipeline.

Shells and evals name these types and ask for the configured model here; they never import
`pilot.chains` (the layer rules in pyproject.toml).
"""

from __future__ import annotations

from pilot.chains.engine import Extractor
from pilot.chains.llm import StructuredLLM
from pilot.chains.prompts import PromptTemplate, load_prompt
from pilot.settings import Settings

__all__ = ["Extractor", "PromptTemplate", "StructuredLLM", "configured_llm", "load_prompt"]


def configured_llm(settings: Settings) -> StructuredLLM | None:
    """The LLM the settings configure (OpenAI, Azure OpenAI or a compatible URL), else None."""
    if not settings.llm_configured:
        return None
    from pilot.chains.llm_openai import build_llm

    return build_llm(settings)
