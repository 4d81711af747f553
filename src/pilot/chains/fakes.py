"""Test doubles shipped with the library: a scripted `StructuredLLM` (like simonw/llm's MockModel).

`FakeStructuredLLM.enqueue(...)` queues what successive attempts answer: a model instance or dict
(validated against the requested schema, so an invalid dict exercises the repair turn), a JSON
string, or a `TransientLLMError` / `FatalLLMError` to raise. The retry loop is the real one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pilot.chains import llm as chain
from pilot.chains.llm import ChatMessage, StructuredResult, TokenUsage

T = TypeVar("T", bound=BaseModel)


class FakeStructuredLLM:
    def __init__(self, model_name: str = "fake-model", *, usage_per_call: int = 10) -> None:
        self._model_name = model_name
        self._queue: list[Any] = []
        self.calls: list[list[ChatMessage]] = []
        self.usage_per_call = usage_per_call
        self.sleeps: list[float] = []  # backoff delays the retry loop asked for; nothing waits
        self.policy = chain.RetryPolicy(max_retries=3, sleep=self.sleeps.append)
        self._lock = threading.Lock()  # extractors may call from several threads

    @property
    def model_name(self) -> str:
        return self._model_name

    def enqueue(self, *responses: Any) -> FakeStructuredLLM:
        self._queue.extend(responses)
        return self

    @property
    def pending(self) -> int:
        return len(self._queue)

    def invoke(self, messages: Sequence[ChatMessage], schema: type[T]) -> StructuredResult[T]:
        return chain.run_structured(
            self._attempt, messages, schema, model=self._model_name, policy=self.policy
        )

    def _attempt(self, messages: Sequence[ChatMessage], schema: type[T]) -> tuple[T, TokenUsage]:
        with self._lock:
            self.calls.append(list(messages))
            if not self._queue:
                raise AssertionError("FakeStructuredLLM called with no queued response")
            response = self._queue.pop(0)
        usage = TokenUsage(
            input_tokens=self.usage_per_call,
            output_tokens=self.usage_per_call,
            total_tokens=2 * self.usage_per_call,
            calls=1,
        )
        if isinstance(response, chain.TransientLLMError | chain.FatalLLMError):
            raise response
        if isinstance(response, schema):
            return response, usage
        try:
            data = json.loads(response) if isinstance(response, str) else response
            return schema.model_validate(data), usage
        except (ValidationError, ValueError) as exc:
            raw = response if isinstance(response, str) else json.dumps(response, default=str)
            raise chain.InvalidOutputError(str(exc), raw_text=raw, usage=usage) from exc
