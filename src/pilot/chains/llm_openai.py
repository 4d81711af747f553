"""The langchain adapter: OpenAI, Azure OpenAI and OpenAI-compatible servers (Ollama, vLLM, LM Studio).

The only module that imports langchain or openai. The SDK's own retries are off (`max_retries=0`):
`pilot.chains.llm.run_structured` retries with its injectable sleep, so tests never wait.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, TypeVar

import openai
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import AzureChatOpenAI, ChatOpenAI
from pydantic import BaseModel, SecretStr, ValidationError

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
from pilot.settings import Settings

T = TypeVar("T", bound=BaseModel)
StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]


class LangChainStructuredLLM:
    """`StructuredLLM` over a langchain chat model's `with_structured_output(..., include_raw=True)`."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        model_name: str,
        method: StructuredMethod = "json_schema",
        policy: RetryPolicy | None = None,
    ) -> None:
        self._chat_model = chat_model
        self._model_name = model_name
        self._method = method
        self._policy = policy or RetryPolicy()

    @property
    def model_name(self) -> str:
        return self._model_name

    def invoke(self, messages: Sequence[ChatMessage], schema: type[T]) -> StructuredResult[T]:
        return run_structured(self._attempt, messages, schema, model=self._model_name, policy=self._policy)

    def _attempt(self, messages: Sequence[ChatMessage], schema: type[T]) -> tuple[T, TokenUsage]:
        runnable = self._chat_model.with_structured_output(schema, method=self._method, include_raw=True)
        try:
            out: Any = runnable.invoke(_to_langchain(messages))
        except openai.APITimeoutError as exc:
            raise TransientLLMError("timeout", f"request timed out: {exc}") from exc
        except openai.APIConnectionError as exc:
            raise TransientLLMError("unavailable", f"connection failed: {exc}") from exc
        except openai.RateLimitError as exc:
            raise TransientLLMError("rate_limited", f"rate limited (429): {exc}") from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise FatalLLMError("credentials", f"the LLM rejected the credentials: {exc}") from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code in (408, 409):
                raise TransientLLMError("unavailable", f"server error {exc.status_code}: {exc}") from exc
            raise FatalLLMError("bad_request", f"request refused ({exc.status_code}): {exc}") from exc
        except (ValidationError, ValueError, OutputParserException, openai.APIResponseValidationError) as exc:
            # json_schema: the SDK parses inside the call, so a schema violation surfaces here.
            raise InvalidOutputError(str(exc)) from exc
        raw = out.get("raw") if isinstance(out, dict) else None
        usage = _usage(raw)
        error = out.get("parsing_error") if isinstance(out, dict) else None
        parsed = out.get("parsed") if isinstance(out, dict) else out
        if error is not None:
            raise InvalidOutputError(str(error), raw_text=_raw_text(raw), usage=usage)
        if parsed is None:
            raise InvalidOutputError("the model returned no structured output", _raw_text(raw), usage)
        if not isinstance(parsed, schema):
            try:
                parsed = schema.model_validate(parsed)
            except ValidationError as exc:
                raise InvalidOutputError(str(exc), raw_text=_raw_text(raw), usage=usage) from exc
        return parsed, usage


def _to_langchain(messages: Sequence[ChatMessage]) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for message in messages:
        if message.role == "system":
            out.append(SystemMessage(content=message.content))
        elif message.role == "assistant":
            out.append(AIMessage(content=message.content))
        else:
            out.append(HumanMessage(content=message.content))
    return out


def _usage(raw: object) -> TokenUsage:
    if not isinstance(raw, AIMessage | AIMessageChunk) or not raw.usage_metadata:
        return TokenUsage(calls=1)
    meta = raw.usage_metadata
    return TokenUsage(
        input_tokens=int(meta.get("input_tokens", 0)),
        output_tokens=int(meta.get("output_tokens", 0)),
        total_tokens=int(meta.get("total_tokens", 0)),
        calls=1,
    )


def _raw_text(raw: object) -> str | None:
    if not isinstance(raw, AIMessage | AIMessageChunk):
        return None
    if isinstance(raw.content, str) and raw.content:
        return raw.content
    calls = raw.additional_kwargs.get("tool_calls") or []
    if calls:
        return json.dumps([call.get("function", {}).get("arguments") for call in calls])
    return None


def build_llm(
    settings: Settings, *, method: StructuredMethod = "json_schema", policy: RetryPolicy | None = None
) -> LangChainStructuredLLM:
    """The configured LLM: Azure OpenAI when an Azure endpoint is set, else OpenAI or any compatible URL."""
    if not settings.llm_configured:
        raise PilotError(
            ErrorCode.CONFIGURATION,
            "no LLM configured: set PILOT_LLM_API_KEY (or OPENAI_API_KEY), PILOT_LLM_BASE_URL or "
            "PILOT_AZURE_OPENAI_ENDPOINT, or use the offline engine",
        )
    policy = policy or RetryPolicy(max_retries=settings.llm_max_retries)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    chat: BaseChatModel
    if settings.azure_openai_endpoint:
        deployment = settings.azure_openai_deployment or settings.llm_model
        chat = AzureChatOpenAI(
            azure_endpoint=settings.azure_openai_endpoint,
            azure_deployment=deployment,
            api_version=settings.azure_openai_api_version or "2024-10-21",
            api_key=SecretStr(key) if key else None,
            timeout=settings.llm_timeout_s,
            max_retries=0,
            temperature=0,
        )
        name = f"azure:{deployment}"
    else:
        # Local servers (Ollama, vLLM, LM Studio) ignore the key but the SDK insists on one.
        chat = ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=SecretStr(key or "not-needed"),
            timeout=settings.llm_timeout_s,
            max_retries=0,
            temperature=0,
        )
        name = settings.llm_model
    return LangChainStructuredLLM(chat, model_name=name, method=method, policy=policy)
