"""The one LLM seam: a `StructuredLLM` answers chat messages with an instance of a pydantic model.

Provider adapters (see `llm_openai.py`) implement a single attempt; the loop here owns what every
provider needs: retries with exponential backoff on rate limits, 5xx and timeouts, one repair turn
that shows the model its validation error, and a failure returned as data instead of an exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T", bound=BaseModel)
Role = Literal["system", "user", "assistant"]
FailureKind = Literal[
    "rate_limited", "unavailable", "timeout", "invalid_output", "credentials", "bad_request"
]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


class TokenUsage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    calls: int = 0

    def plus(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            calls=self.calls + other.calls,
        )


class LLMFailure(BaseModel):
    """Why a structured call gave up, after its retries and its repair turn."""

    model_config = ConfigDict(extra="forbid")

    kind: FailureKind
    message: str
    attempts: int


@dataclass
class StructuredResult(Generic[T]):
    parsed: T | None
    model: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    attempts: int = 0
    repaired: bool = False
    failure: LLMFailure | None = None


class StructuredLLM(Protocol):
    """Anything that turns messages into a validated `schema` instance (or a recorded failure)."""

    @property
    def model_name(self) -> str: ...

    def invoke(self, messages: Sequence[ChatMessage], schema: type[T]) -> StructuredResult[T]: ...


# What one provider attempt can raise; the loop below decides what happens next.
class TransientLLMError(Exception):
    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class FatalLLMError(Exception):
    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class InvalidOutputError(Exception):
    def __init__(self, message: str, raw_text: str | None = None, usage: TokenUsage | None = None) -> None:
        super().__init__(message)
        self.raw_text = raw_text
        self.usage = usage or TokenUsage()


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3  # transient failures retried this many times per request
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, retry_number: int) -> float:
        return float(min(self.max_delay_s, self.base_delay_s * (2**retry_number)))


# One provider attempt: messages and schema in, parsed model and usage out, or one of the errors above.
Attempt = Callable[[Sequence[ChatMessage], type[T]], tuple[T, TokenUsage]]

REPAIR_INSTRUCTION = (
    "Your previous answer did not validate against the required JSON schema. "
    "Validation error:\n{error}\n"
    "Answer again with JSON that matches the schema exactly: no extra fields, no prose."
)


def run_structured(
    attempt: Attempt[T],
    messages: Sequence[ChatMessage],
    schema: type[T],
    *,
    model: str,
    policy: RetryPolicy,
) -> StructuredResult[T]:
    """Call `attempt` with retries on transient errors and one repair turn on invalid output."""
    result: StructuredResult[T] = StructuredResult(parsed=None, model=model)
    conversation = list(messages)
    repaired = False
    retries = 0
    while True:
        result.attempts += 1
        try:
            parsed, usage = attempt(conversation, schema)
        except TransientLLMError as exc:
            if retries >= policy.max_retries:
                result.failure = LLMFailure(kind=exc.kind, message=str(exc), attempts=result.attempts)
                return result
            policy.sleep(policy.delay(retries))
            retries += 1
            continue
        except FatalLLMError as exc:
            result.failure = LLMFailure(kind=exc.kind, message=str(exc), attempts=result.attempts)
            return result
        except InvalidOutputError as exc:
            result.usage = result.usage.plus(exc.usage)
            if repaired:
                result.failure = LLMFailure(
                    kind="invalid_output", message=_shorten(str(exc)), attempts=result.attempts
                )
                return result
            repaired = True
            if exc.raw_text:
                conversation.append(ChatMessage("assistant", exc.raw_text))
            conversation.append(ChatMessage("user", REPAIR_INSTRUCTION.format(error=_shorten(str(exc)))))
            continue
        result.usage = result.usage.plus(usage)
        result.parsed = parsed
        result.repaired = repaired
        return result


def _shorten(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."
