"""The LLM adapter against each server's real chat-completions shape (respx; no network):
OpenAI (json_schema content, tool calls, refusal, length), Azure OpenAI (deployment URL and
api-version, content filters), Ollama, vLLM and LM Studio; usage priced from the settings' table,
`max_tokens` sent, the structured-output method chosen by a setting, Retry-After honoured."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from pilot.chains.llm import ChatMessage, RetryPolicy
from pilot.chains.llm_openai import build_llm
from pilot.chains.schema import ExtractionOutput
from pilot.domain.usage import ModelPrice
from pilot.settings import Settings

from .conftest import action, extraction_json
from .providers import (
    AZURE_PROMPT_FILTERED,
    azure_body,
    lmstudio_body,
    ollama_body,
    openai_body,
    openai_tool_body,
    vllm_body,
)

MESSAGES = [
    ChatMessage("system", "Extract."),
    ChatMessage("user", "Omar: I'll finish the runbook by Friday."),
]
GOOD = extraction_json(
    action_items=[action("finish the runbook", "I", "by Friday", "I'll finish the runbook by Friday", 2)]
)
OPENAI = "https://api.openai.com/v1"
AZURE = "https://acme-openai.openai.azure.com"
OLLAMA = "http://localhost:11434/v1"
VLLM = "http://gpu-box:8000/v1"
LMSTUDIO = "http://localhost:1234/v1"


def llm_for(sleeps: list[float] | None = None, **settings: Any):  # type: ignore[no-untyped-def]
    policy = RetryPolicy(max_retries=2, base_delay_s=0.5, sleep=(sleeps if sleeps is not None else []).append)
    if "llm_api_key" in settings:  # the key is read under its environment names only
        settings["PILOT_LLM_API_KEY"] = settings.pop("llm_api_key")
    return build_llm(Settings(**settings), policy=policy)


def sent(route: respx.Route, call: int = -1) -> dict[str, Any]:
    return json.loads(route.calls[call].request.content)  # type: ignore[no-any-return]


def test_openai_json_schema_with_max_tokens_usage_and_cost(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{OPENAI}/chat/completions").respond(200, json=openai_body(GOOD))
    llm = llm_for(llm_api_key="sk-test", llm_max_output_tokens=2048)
    result = llm.invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None and result.failure is None
    body = sent(route)
    assert body["max_tokens"] == 2048 and body["temperature"] == 0 and body["model"] == "gpt-4o-mini"
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
    assert schema["name"] == "ExtractionOutput" and schema["schema"]["additionalProperties"] is False
    usage = result.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens, usage.calls) == (1200, 300, 1500, 1)
    # gpt-4o-mini (answered as its dated snapshot): $0.15 in, $0.60 out per 1M tokens
    assert usage.cost_usd == pytest.approx(1200 * 0.15 / 1e6 + 300 * 0.60 / 1e6)


def test_a_price_table_from_the_environment_prices_a_local_model(
    respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOT_LLM_PRICES", '{"llama3.1:8b": {"input": 0.05, "output": 0.1}}')
    monkeypatch.setenv("PILOT_LLM_BASE_URL", OLLAMA)
    monkeypatch.setenv("PILOT_LLM_MODEL", "llama3.1:8b")
    respx_mock.post(f"{OLLAMA}/chat/completions").respond(200, json=ollama_body(GOOD))
    settings = Settings()
    assert settings.llm_prices == {"llama3.1:8b": ModelPrice(input=0.05, output=0.1)}
    result = build_llm(settings, policy=RetryPolicy(sleep=lambda _s: None)).invoke(MESSAGES, ExtractionOutput)
    assert result.usage.cost_usd == pytest.approx((700 * 0.05 + 150 * 0.1) / 1e6)


def test_a_model_without_a_price_has_an_unknown_cost_not_a_free_one(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(f"{OLLAMA}/chat/completions").respond(200, json=ollama_body(GOOD))
    result = llm_for(llm_base_url=OLLAMA, llm_model="llama3.1:8b").invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None and result.usage.input_tokens == 700 and result.usage.cost_usd is None


def test_openai_tool_calls_with_function_calling(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{OPENAI}/chat/completions").respond(200, json=openai_tool_body(GOOD))
    llm = llm_for(llm_api_key="sk-test", llm_structured_output="function_calling")
    result = llm.invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None and result.parsed.action_items[0].owner == "I"
    body = sent(route)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "ExtractionOutput"}}
    assert body["tools"][0]["function"]["parameters"]["required"] and "response_format" not in body


def test_a_reply_cut_off_at_the_output_limit_is_a_failure_not_an_exception(
    respx_mock: respx.MockRouter,
) -> None:
    cut = GOOD[: len(GOOD) // 2]
    route = respx_mock.post(f"{OPENAI}/chat/completions").respond(
        200, json=openai_body(cut, finish="length", completion=4096)
    )
    result = llm_for(llm_api_key="sk-test").invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is None and result.failure is not None
    assert result.failure.kind == "output_truncated" and "4096" in result.failure.message
    assert route.call_count == 1  # the same request would be cut off again: no retry, no repair turn
    assert result.usage.output_tokens == 4096  # what it cost is still counted


def test_a_refusal_is_a_failure_not_an_exception(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(f"{OPENAI}/chat/completions").respond(
        200, json=openai_body(None, refusal="I'm sorry, I can't assist with that request.")
    )
    result = llm_for(llm_api_key="sk-test").invoke(MESSAGES, ExtractionOutput)
    assert result.failure is not None and result.failure.kind == "refused"


def test_azure_deployment_url_api_version_key_header_and_filter_fields(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{AZURE}/openai/deployments/pilot-gpt4o/chat/completions").respond(
        200, json=azure_body(GOOD)
    )
    llm = llm_for(
        azure_openai_endpoint=AZURE,
        azure_openai_deployment="pilot-gpt4o",
        azure_openai_api_version="2024-10-21",
        llm_api_key="azure-key",
        llm_prices={"pilot-gpt4o": {"input": 2.5, "output": 10}},
    )
    result = llm.invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None and llm.model_name == "azure:pilot-gpt4o"
    request = route.calls.last.request
    assert request.url.params["api-version"] == "2024-10-21" and request.headers["api-key"] == "azure-key"
    assert result.usage.cost_usd == pytest.approx((900 * 2.5 + 200 * 10) / 1e6)


def test_azure_content_filter_on_the_answer_and_on_the_prompt(respx_mock: respx.MockRouter) -> None:
    url = f"{AZURE}/openai/deployments/pilot-gpt4o/chat/completions"
    respx_mock.post(url).mock(
        side_effect=[
            httpx.Response(200, json=azure_body(None, finish="content_filter")),
            httpx.Response(400, json=AZURE_PROMPT_FILTERED),
        ]
    )
    llm = llm_for(azure_openai_endpoint=AZURE, azure_openai_deployment="pilot-gpt4o", llm_api_key="k")
    answer_filtered = llm.invoke(MESSAGES, ExtractionOutput)
    prompt_filtered = llm.invoke(MESSAGES, ExtractionOutput)
    assert answer_filtered.failure is not None and answer_filtered.failure.kind == "refused"
    assert prompt_filtered.failure is not None and prompt_filtered.failure.kind == "refused"


@pytest.mark.parametrize("fingerprint", [True, False])
def test_ollama_openai_compatible_answer(respx_mock: respx.MockRouter, fingerprint: bool) -> None:
    route = respx_mock.post(f"{OLLAMA}/chat/completions").respond(
        200, json=ollama_body(GOOD, fingerprint=fingerprint)
    )
    result = llm_for(llm_base_url=OLLAMA, llm_model="llama3.1:8b").invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None and (result.usage.input_tokens, result.usage.output_tokens) == (700, 150)
    assert route.calls.last.request.headers["authorization"] == "Bearer not-needed"


def test_ollama_tool_calls(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(f"{OLLAMA}/chat/completions").respond(200, json=ollama_body("", tool_arguments=GOOD))
    llm = llm_for(llm_base_url=OLLAMA, llm_model="llama3.1:8b", llm_structured_output="function_calling")
    assert llm.invoke(MESSAGES, ExtractionOutput).parsed is not None


def test_ollama_cut_off_at_num_predict_is_a_truncation(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(f"{OLLAMA}/chat/completions").respond(200, json=ollama_body(GOOD[:40], finish="length"))
    result = llm_for(llm_base_url=OLLAMA, llm_model="llama3.1:8b").invoke(MESSAGES, ExtractionOutput)
    assert result.failure is not None and result.failure.kind == "output_truncated"


def test_vllm_answer_with_its_extra_fields(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{VLLM}/chat/completions").respond(200, json=vllm_body(GOOD))
    llm = llm_for(llm_base_url=VLLM, llm_model="Qwen/Qwen2.5-7B-Instruct", llm_api_key="token-abc123")
    result = llm.invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None and result.usage.total_tokens == 960
    assert sent(route)["response_format"]["type"] == "json_schema"


def test_lmstudio_answer_with_stats(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(f"{LMSTUDIO}/chat/completions").respond(200, json=lmstudio_body(GOOD))
    result = llm_for(llm_base_url=LMSTUDIO, llm_model="qwen2.5-7b-instruct").invoke(
        MESSAGES, ExtractionOutput
    )
    assert result.parsed is not None and result.usage.output_tokens == 140


def test_json_mode_puts_the_schema_in_a_system_message_and_takes_off_a_code_fence(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(f"{OLLAMA}/chat/completions").respond(
        200, json=ollama_body(f"```json\n{GOOD}\n```")
    )
    llm = llm_for(llm_base_url=OLLAMA, llm_model="mistral:7b", llm_structured_output="json_mode")
    result = llm.invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None
    body = sent(route)
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "system", "user"]
    assert (
        "JSON schema" in body["messages"][1]["content"] and "action_items" in body["messages"][1]["content"]
    )


def test_retry_after_from_the_llm_server_is_honoured(respx_mock: respx.MockRouter) -> None:
    limited = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
    respx_mock.post(f"{OPENAI}/chat/completions").mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "7"}, json=limited),
            httpx.Response(
                503, headers={"retry-after-ms": "1500"}, json={"error": {"message": "overloaded"}}
            ),
            httpx.Response(200, json=openai_body(GOOD)),
        ]
    )
    sleeps: list[float] = []
    result = llm_for(sleeps, llm_api_key="sk-test").invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None and result.attempts == 3 and sleeps == [7.0, 1.5]


@pytest.mark.parametrize(
    ("base", "error"),
    [
        (
            OPENAI,
            {
                "error": {
                    "message": "This model's maximum context length is 128000 tokens. However, your "
                    "messages resulted in 130412 tokens. Please reduce the length of the messages.",
                    "type": "invalid_request_error",
                    "param": "messages",
                    "code": "context_length_exceeded",
                }
            },
        ),
        (
            VLLM,
            {
                "object": "error",
                "message": "This model's maximum context length is 32768 tokens. However, you "
                "requested 40210 tokens (36114 in the messages, 4096 in the completion). Please reduce the length "
                "of the messages or completion.",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            },
        ),
    ],
)
def test_a_prompt_longer_than_the_context_is_a_failure_a_smaller_chunk_may_avoid(
    respx_mock: respx.MockRouter, base: str, error: dict[str, Any]
) -> None:
    route = respx_mock.post(f"{base}/chat/completions").respond(400, json=error)
    result = llm_for(llm_base_url=base, llm_api_key="k").invoke(MESSAGES, ExtractionOutput)
    assert result.failure is not None and result.failure.kind == "input_too_long" and route.call_count == 1


def test_an_answer_that_is_not_a_chat_completion_is_retried_not_an_exception(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(f"{OPENAI}/chat/completions").mock(
        side_effect=[
            httpx.Response(200, text="<html><body>502 Bad Gateway</body></html>"),
            httpx.Response(200, json=openai_body(GOOD)),
        ]
    )
    sleeps: list[float] = []
    result = llm_for(sleeps, llm_api_key="sk-test").invoke(MESSAGES, ExtractionOutput)
    assert result.parsed is not None and route.call_count == 2 and sleeps == [0.5]
