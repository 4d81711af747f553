"""`pilot extract` says what the LLM calls cost and which turns were not extracted."""

from __future__ import annotations

import pytest

from pilot.cli.extract_cmds import print_llm_usage


def test_cost_and_unextracted_turns_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    failure = {
        "first_turn": 40,
        "last_turn": 40,
        "failure": {"kind": "refused", "message": "content filter", "attempts": 1},
    }
    print_llm_usage(
        {
            "model": "gpt-4o-mini",
            "prompt_version": "1.0.0",
            "failures": [failure],
            "usage": {"calls": 3, "input_tokens": 9000, "output_tokens": 1200, "cost_usd": 0.00207},
        }
    )
    out = capsys.readouterr().out
    assert "3 calls, 9000 tokens in, 1200 out, $0.0021" in out and "turns 40-40: refused" in out


def test_an_unpriced_model_says_so_and_the_offline_engine_prints_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_llm_usage(
        {
            "model": "llama3.1:8b",
            "usage": {"calls": 1, "input_tokens": 10, "output_tokens": 5, "cost_usd": None},
        }
    )
    assert "PILOT_LLM_PRICES" in capsys.readouterr().out
    print_llm_usage({"engine": "offline", "usage": {"calls": 0}})
    assert capsys.readouterr().out == ""
