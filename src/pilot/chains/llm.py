"""The one LLM seam: a `StructuredLLM` answers chat messages with an instance of a pydantic model.

Provider adapters (see `llm_openai.py`) implement a single attempt; `run_structured` owns what every
provider needs: retries of rate limits, 5xx and timeouts through `pilot.retry` (the project's one
retry mechanism, honouring the wait a server asks for), one repair turn that shows the model its
validation error, and a failure returned as data instead of an exception. A reply cut off at the
output limit or refused by a content filter is such a failure too: sending the same request again
would end the same way, so it is not retried here (the extractor retries with a smaller chunk).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from pilot.domain.usage import TokenUsage
from pilot.retry import RetryPolicy

T = TypeVar("T", bound=BaseModel)
Role = Literal["system", "user", "assistant"]
FailureKind = Literal[
    "rate_limited",
    "unavailable",
    "timeout",
    "invalid_output",
    "credentials",
    "bad_request",
    "output_truncated",  # finish_reason=length: the answer hit the output token limit
    "refused",  # a content filter (finish_reason=content_filter, HTTP 400 content_filter) or a refusal
    "input_too_long",  # the prompt exceeds the model's context window (HTTP 400)
]
# Failures that a smaller input may avoid: the caller may split its input and try again.
SPLITTABLE: frozenset[FailureKind] = frozenset({"output_truncated", "refused", "input_too_long"})

__all__ = [
    "SPLITTABLE",
    "Attempt",
    "ChatMessage",
    "FailureKind",
    "FatalLLMError",
    "InvalidOutputError",
    "LLMFailure",
    "RetryPolicy",
    "StructuredLLM",
    "StructuredResult",
    "TokenUsage",
    "TransientLLMError",
    "run_structured",
]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


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


# What one provider attempt can raise; `run_structured` decides what happens next.
class TransientLLMError(Exception):
    """Worth retrying as is: a rate limit, a 5xx, a timeout. `retry_after_s` is the server's wish."""

    def __init__(self, kind: FailureKind, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after_s = retry_after_s


class FatalLLMError(Exception):
    """Not worth sending again as is; `usage` counts what a completed but unusable answer cost."""

    def __init__(self, kind: FailureKind, message: str, *, usage: TokenUsage | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.usage = usage or TokenUsage()


class InvalidOutputError(Exception):
    def __init__(self, message: str, raw_text: str | None = None, usage: TokenUsage | None = None) -> None:
        super().__init__(message)
        self.raw_text = raw_text
        self.usage = usage or TokenUsage()


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

    def counted() -> tuple[T, TokenUsage]:
        result.attempts += 1
        return attempt(conversation, schema)

    for repair_turn in (False, True):
        try:
            parsed, usage = policy.call(
                counted,
                retry_on=lambda exc: isinstance(exc, TransientLLMError),
                requested_wait=lambda exc: getattr(exc, "retry_after_s", None),
            )
        except (TransientLLMError, FatalLLMError) as exc:
            result.usage = result.usage.plus(getattr(exc, "usage", TokenUsage()))
            result.failure = LLMFailure(kind=exc.kind, message=_shorten(str(exc)), attempts=result.attempts)
            return result
        except InvalidOutputError as exc:
            result.usage = result.usage.plus(exc.usage)
            if repair_turn:
                result.failure = LLMFailure(
                    kind="invalid_output", message=_shorten(str(exc)), attempts=result.attempts
                )
                return result
            if exc.raw_text:
                conversation.append(ChatMessage("assistant", exc.raw_text))
            conversation.append(ChatMessage("user", REPAIR_INSTRUCTION.format(error=_shorten(str(exc)))))
            continue
        result.usage = result.usage.plus(usage)
        result.parsed = parsed
        result.repaired = repair_turn
        return result
    raise AssertionError("unreachable: the repair turn returns")


def _shorten(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."
