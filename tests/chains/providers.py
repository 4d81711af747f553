"""Chat-completion bodies as each server really returns them (non-streaming), for respx.

- OpenAI: `refusal` and `logprobs` present, `system_fingerprint`, `usage` with token details.
- Azure OpenAI: the OpenAI body plus `prompt_filter_results` and per-choice `content_filter_results`.
- Ollama (`/v1/chat/completions`, openai/openai.go): `system_fingerprint: "fp_ollama"` (left out by
  older servers), no `refusal`/`logprobs`, tool calls carry an `index`, content "" beside them.
- vLLM: `stop_reason`, `reasoning_content`, `tool_calls: []`, `prompt_logprobs`,
  `kv_transfer_params`, `usage.prompt_tokens_details: null`, `system_fingerprint: null`.
- LM Studio: `stats: {}` and the model name as `system_fingerprint`.
"""

from __future__ import annotations

from typing import Any

SAFE = {"filtered": False, "severity": "safe"}
FILTERS = {"hate": SAFE, "self_harm": SAFE, "sexual": SAFE, "violence": SAFE}


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def openai_body(
    content: str | None,
    *,
    finish: str = "stop",
    refusal: str | None = None,
    prompt: int = 1200,
    completion: int = 300,
    model: str = "gpt-4o-mini-2024-07-18",
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": {
            **_usage(prompt, completion),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
    }


def openai_tool_body(arguments: str, *, name: str = "ExtractionOutput") -> dict[str, Any]:
    body = openai_body(None, finish="tool_calls")
    body["choices"][0]["message"]["tool_calls"] = [
        {"id": "call_62136354", "type": "function", "function": {"name": name, "arguments": arguments}}
    ]
    return body


def azure_body(
    content: str | None, *, finish: str = "stop", prompt: int = 900, completion: int = 200
) -> dict[str, Any]:
    body = openai_body(
        content, finish=finish, prompt=prompt, completion=completion, model="gpt-4o-2024-11-20"
    )
    body["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": FILTERS}]
    choice_filters = dict(FILTERS)
    if finish == "content_filter":
        choice_filters["violence"] = {"filtered": True, "severity": "medium"}
    body["choices"][0]["content_filter_results"] = choice_filters
    return body


AZURE_PROMPT_FILTERED = {
    "error": {
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management "
        "policy. Please modify your prompt and retry.",
        "type": None,
        "param": "prompt",
        "code": "content_filter",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {**FILTERS, "jailbreak": {"filtered": True, "detected": True}},
        },
    }
}


def ollama_body(
    content: str,
    *,
    finish: str = "stop",
    fingerprint: bool = True,
    tool_arguments: str | None = None,
    prompt: int = 700,
    completion: int = 150,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_arguments is not None:
        message["tool_calls"] = [
            {
                "id": "call_x8dpb3kq",
                "index": 0,
                "type": "function",
                "function": {"name": "ExtractionOutput", "arguments": tool_arguments},
            }
        ]
        finish = "tool_calls"
    body: dict[str, Any] = {
        "id": "chatcmpl-417",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "llama3.1:8b",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": _usage(prompt, completion),
    }
    if fingerprint:
        body["system_fingerprint"] = "fp_ollama"
    return body


def vllm_body(
    content: str, *, finish: str = "stop", prompt: int = 800, completion: int = 160
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-9b3f6c2e8a7d4e1f9c0b5a6d7e8f9a0b",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "reasoning_content": None,
                    "content": content,
                    "tool_calls": [],
                },
                "logprobs": None,
                "finish_reason": finish,
                "stop_reason": None,
            }
        ],
        "service_tier": None,
        "system_fingerprint": None,
        "usage": {**_usage(prompt, completion), "prompt_tokens_details": None},
        "prompt_logprobs": None,
        "kv_transfer_params": None,
    }


def lmstudio_body(
    content: str, *, finish: str = "stop", prompt: int = 650, completion: int = 140
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-8k2w1x9r5t3y7u6i",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "qwen2.5-7b-instruct",
        "choices": [
            {
                "index": 0,
                "logprobs": None,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": _usage(prompt, completion),
        "stats": {},
        "system_fingerprint": "qwen2.5-7b-instruct",
    }
