"""JSON columns are written and read a slice at a time (store/json_columns): the text and the
values must be exactly the standard library's, and broken text must fail as json.loads fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pilot.store import json_columns
from pilot.store.db import make_engine

TURNS: list[Any] = [
    {
        "index": i,
        "speaker": f"Speaker {i % 7}",
        "text": f'line {i} with "quotes", commas, ] and [ é',
        "start": i * 1.5,
    }
    for i in range(30_000)
]


@pytest.mark.parametrize(
    "value",
    [TURNS, [], [1], TURNS[:3], {"turns": TURNS[:10]}, "text", None, 3.5, [[1, 2], {"a": [3]}, "x"] * 5_000],
)
def test_the_text_and_the_values_are_the_standard_librarys(value: Any) -> None:
    text = json_columns.dumps(value)
    assert text == json.dumps(value)
    assert json_columns.loads(text) == value
    assert json_columns.loads(text.encode()) == value


@pytest.mark.parametrize("separator", [" ,\n {", ", \n {", ",{", ",\t\t{"])
def test_whitespace_in_a_large_array_is_accepted(separator: str) -> None:
    text = "  \n[ " + json.dumps(TURNS)[1:-1].replace(", {", separator) + " ]\n"
    assert json_columns.loads(text) == TURNS


@pytest.mark.parametrize(
    "broken",
    [
        json.dumps(TURNS)[:-1],  # cut short
        json.dumps(TURNS) + " [1]",  # extra data
        json.dumps(TURNS)[:-1] + " 7]",  # missing comma
        json.dumps(TURNS)[:-1] + ",]",  # trailing comma
    ],
)
def test_broken_text_fails_as_the_standard_library_fails(broken: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken)
    with pytest.raises(json.JSONDecodeError):
        json_columns.loads(broken)


def test_the_engine_uses_them(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pilot.db'}")
    assert engine.dialect._json_serializer is json_columns.dumps  # type: ignore[attr-defined]
    assert engine.dialect._json_deserializer is json_columns.loads  # type: ignore[attr-defined]
    engine.dispose()
