"""What LLM calls cost: token counts from the provider's `usage` and a price per million tokens.

Usage travels with every structured call, adds up per job (the job's result) and is kept on each
draft's provenance. Cost is `None` when the model has no price in the table (`PILOT_LLM_PRICES`):
unknown, which is not the same as free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class ModelPrice(BaseModel):
    """US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class TokenUsage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    calls: int = 0
    cost_usd: float | None = 0.0  # None: some call's model has no price

    def plus(self, other: TokenUsage) -> TokenUsage:
        cost = None if self.cost_usd is None or other.cost_usd is None else self.cost_usd + other.cost_usd
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            calls=self.calls + other.calls,
            cost_usd=round(cost, 8) if cost is not None else None,
        )


_DATED = re.compile(r"(.+)-\d{4}-\d{2}-\d{2}")


def find_price(prices: Mapping[str, ModelPrice], *names: str | None) -> ModelPrice | None:
    """The price of the first name the table knows, as is or without a snapshot date (OpenAI answers
    `gpt-4o-mini-2024-07-18` for `gpt-4o-mini`); never by a loose prefix (`gpt-4.1-nano` is not `gpt-4.1`)."""
    for name in names:
        if not name:
            continue
        if name in prices:
            return prices[name]
        dated = _DATED.fullmatch(name)
        if dated and dated.group(1) in prices:
            return prices[dated.group(1)]
    return None


def priced_usage(
    input_tokens: int, output_tokens: int, price: ModelPrice | None, *, total_tokens: int | None = None
) -> TokenUsage:
    """One call's usage and what it cost."""
    cost = None
    if price is not None:
        cost = round((input_tokens * price.input + output_tokens * price.output) / 1_000_000, 8)
    return TokenUsage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total_tokens if total_tokens is not None else input_tokens + output_tokens,
        calls=1,
        cost_usd=cost,
    )
