"""The OpenAI SDK adapter: OpenAI, Azure OpenAI and OpenAI-compatible servers (Ollama, vLLM, LM Studio).

The only module that imports openai. One attempt is one `chat.completions.create` call; the SDK's
own retries are off (`max_retries=0`) because `pilot.chains.llm.run_structured` retries through
`pilot.retry`, with the Retry-After the server sent and an injectable sleep, so tests never wait.

How the schema reaches the model is a setting (`PILOT_LLM_STRUCTURED_OUTPUT`), because servers
differ in what they support:
- `json_schema`: `response_format` with the strict JSON schema (OpenAI, Azure, vLLM, LM Studio,
  Ollama >= 0.5);
- `function_calling`: one forced tool whose parameters are the schema (servers with tool support);
- `json_mode`: `response_format={"type": "json_object"}` and the schema in a system message (older
  servers; LM Studio does not accept it).
The answer is validated here against the pydantic model, whatever the server promised. The
provider's `usage` is priced with `PILOT_LLM_PRICES`; `finish_reason=length` and content filters
are failures of the call, never exceptions out of `invoke`. At most `PILOT_LLM_MAX_CONCURRENCY`
calls to one endpoint run at once in this process.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar, cast

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessage, ChatCompletionMessageParam
from pydantic import BaseModel, ValidationError

from pilot.chains.llm import (
    ChatMessage,
    FatalLLMError,
    InvalidOutputError,
    RetryPolicy,
    StructuredResult,
    TokenUsage,
    TransientLLMError,
    run_structured,
)
from pilot.domain.errors import ErrorCode, PilotError
from pilot.domain.usage import ModelPrice, find_price, priced_usage
from pilot.retry import retry_after_seconds
from pilot.settings import Settings

T = TypeVar("T", bound=BaseModel)
StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]
JSON_MODE_INSTRUCTION = (
    "Answer with one JSON object, and nothing else, that matches this JSON schema:\n{schema}"
)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)

_limiters: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_limiters_lock = threading.Lock()


def call_limiter(endpoint: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide bound on concurrent calls to one endpoint, shared by every job using it."""
    with _limiters_lock:
        return _limiters.setdefault((endpoint, limit), threading.BoundedSemaphore(max(1, limit)))


class OpenAIStructuredLLM:
    """`StructuredLLM` over one chat-completions endpoint of the OpenAI SDK."""

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        model_name: str | None = None,
        method: StructuredMethod = "json_schema",
        policy: RetryPolicy | None = None,
        max_output_tokens: int | None = None,
        prices: Mapping[str, ModelPrice] | None = None,
        limiter: threading.BoundedSemaphore | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._model_name = model_name or model
        self._method = method
        self._policy = policy or RetryPolicy()
        self._max_output_tokens = max_output_tokens
        self._prices = dict(prices or {})
        self._limiter = limiter or threading.BoundedSemaphore(4)

    @property
    def model_name(self) -> str:
        return self._model_name

    def invoke(self, messages: Sequence[ChatMessage], schema: type[T]) -> StructuredResult[T]:
        return run_structured(self._attempt, messages, schema, model=self._model_name, policy=self._policy)

    def _attempt(self, messages: Sequence[ChatMessage], schema: type[T]) -> tuple[T, TokenUsage]:
        request = dict(structured_request(schema, self._method))  # a copy: the cached one is shared
        wire = [{"role": m.role, "content": m.content} for m in messages]
        if self._method == "json_mode":
            wire.insert(1 if wire and wire[0]["role"] == "system" else 0, _schema_message(schema))
        if self._max_output_tokens:
            request["max_tokens"] = self._max_output_tokens
        with self._limiter:
            completion = self._create(wire, request)
        return self._parse(completion, schema)

    def _create(self, wire: list[dict[str, str]], request: dict[str, Any]) -> ChatCompletion:
        try:
            completion: object = self._client.chat.completions.create(
                model=self._model,
                messages=cast("list[ChatCompletionMessageParam]", wire),
                temperature=0,
                **request,
            )
        except openai.APITimeoutError as exc:
            raise TransientLLMError("timeout", f"request timed out: {exc}") from exc
        except openai.APIConnectionError as exc:
            raise TransientLLMError("unavailable", f"connection failed: {exc}") from exc
        except openai.RateLimitError as exc:
            wait = retry_after_seconds(exc.response.headers)
            raise TransientLLMError("rate_limited", f"rate limited (429): {exc}", retry_after_s=wait) from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise FatalLLMError("credentials", f"the LLM rejected the credentials: {exc}") from exc
        except openai.APIStatusError as exc:
            if exc.code == "content_filter":  # Azure refuses a prompt its filter flags with a 400
                raise FatalLLMError(
                    "refused", f"the provider's content filter refused the request: {exc}"
                ) from exc
            if exc.code == "context_length_exceeded" or "maximum context length" in str(exc):
                raise FatalLLMError(
                    "input_too_long", f"the prompt is longer than the model's context: {exc}"
                ) from exc
            if exc.status_code >= 500 or exc.status_code in (408, 409):
                wait = retry_after_seconds(exc.response.headers)
                raise TransientLLMError(
                    "unavailable", f"server error {exc.status_code}: {exc}", retry_after_s=wait
                ) from exc
            raise FatalLLMError("bad_request", f"request refused ({exc.status_code}): {exc}") from exc
        except openai.OpenAIError as exc:  # e.g. a response the SDK could not read
            raise FatalLLMError("unavailable", f"the LLM call failed: {exc}") from exc
        if not isinstance(completion, ChatCompletion):  # a proxy's HTML page answered with 200
            raise TransientLLMError("unavailable", "the server's answer is not a chat completion (not JSON)")
        return completion

    def _parse(self, completion: ChatCompletion, schema: type[T]) -> tuple[T, TokenUsage]:
        usage = self._usage(completion)
        if not completion.choices:
            raise InvalidOutputError("the response has no choices", usage=usage)
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            limit = f"of {self._max_output_tokens} tokens " if self._max_output_tokens else ""
            raise FatalLLMError(
                "output_truncated",
                f"the answer was cut off at the output limit {limit}(finish_reason=length)",
                usage=usage,
            )
        if choice.finish_reason == "content_filter":
            raise FatalLLMError(
                "refused",
                "the provider's content filter stopped the answer (finish_reason=content_filter)",
                usage=usage,
            )
        if getattr(choice.message, "refusal", None):
            raise FatalLLMError("refused", f"the model refused: {choice.message.refusal}", usage=usage)
        text = answer_text(choice.message)
        if not text:
            raise InvalidOutputError("the model returned no structured output", usage=usage)
        try:
            return schema.model_validate_json(text), usage
        except ValidationError as exc:
            raise InvalidOutputError(str(exc), raw_text=text, usage=usage) from exc

    def _usage(self, completion: ChatCompletion) -> TokenUsage:
        price = find_price(self._prices, self._model, self._model_name, completion.model)
        if completion.usage is None:  # some servers leave it out: tokens unknown, so is the cost
            return TokenUsage(calls=1, cost_usd=None)
        return priced_usage(
            completion.usage.prompt_tokens or 0,
            completion.usage.completion_tokens or 0,
            price,
            total_tokens=completion.usage.total_tokens,
        )


@functools.cache
def structured_request(schema: type[BaseModel], method: StructuredMethod) -> dict[str, Any]:
    """The request fields that ask for `schema`: a strict JSON schema, a forced tool or JSON mode."""
    tool = openai.pydantic_function_tool(schema)  # the SDK's strict-mode form of the pydantic schema
    name = tool["function"]["name"]
    if method == "function_calling":
        return {"tools": [tool], "tool_choice": {"type": "function", "function": {"name": name}}}
    if method == "json_mode":
        return {"response_format": {"type": "json_object"}}
    parameters = tool["function"].get("parameters", {})
    return {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": parameters, "strict": True},
        }
    }


def _schema_message(schema: type[BaseModel]) -> dict[str, str]:
    return {
        "role": "system",
        "content": JSON_MODE_INSTRUCTION.format(schema=json.dumps(schema.model_json_schema())),
    }


def answer_text(message: ChatCompletionMessage) -> str | None:
    """The JSON the model answered: the forced tool call's arguments, else the content (a Markdown
    code fence around it, which small local models like to add, is taken off)."""
    for call in message.tool_calls or []:
        arguments = getattr(getattr(call, "function", None), "arguments", None)
        if arguments:
            return str(arguments)
    content = (message.content or "").strip()
    fenced = _FENCE.match(content)
    return (fenced.group(1) if fenced else content) or None


def build_llm(
    settings: Settings, *, method: StructuredMethod | None = None, policy: RetryPolicy | None = None
) -> OpenAIStructuredLLM:
    """The configured LLM: Azure OpenAI when an Azure endpoint is set, else OpenAI or any compatible URL."""
    if not settings.llm_configured:
        raise PilotError(
            ErrorCode.CONFIGURATION,
            "no LLM configured: set PILOT_LLM_API_KEY (or OPENAI_API_KEY), PILOT_LLM_BASE_URL or "
            "PILOT_AZURE_OPENAI_ENDPOINT, or use the offline engine",
        )
    policy = policy or RetryPolicy(max_retries=settings.llm_max_retries)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    client: openai.OpenAI
    if settings.azure_openai_endpoint:
        deployment = settings.azure_openai_deployment or settings.llm_model
        client = openai.AzureOpenAI(
            azure_endpoint=settings.azure_openai_endpoint,
            azure_deployment=deployment,
            api_version=settings.azure_openai_api_version or "2024-10-21",
            api_key=key,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )
        model, name, endpoint = deployment, f"azure:{deployment}", settings.azure_openai_endpoint
    else:
        # Local servers (Ollama, vLLM, LM Studio) ignore the key but the SDK insists on one.
        client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=key or "not-needed",
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )
        model, name, endpoint = settings.llm_model, settings.llm_model, str(client.base_url)
    return OpenAIStructuredLLM(
        client,
        model=model,
        model_name=name,
        method=method or settings.llm_structured_output,
        policy=policy,
        max_output_tokens=settings.llm_max_output_tokens,
        prices=settings.llm_prices,
        limiter=call_limiter(endpoint, settings.llm_max_concurrency),
    )
