"""JSON for the database's JSON columns, written and read a slice at a time.

A 10 MB pasted transcript is one JSON array of ~200k turns in `documents.turns`. The standard
library encodes or decodes such a value in a single C call that holds the GIL throughout: 0.3 s
measured here, about 1 s on a slower CI machine, during which no other thread of the process ran
(the server's event loop, `/health` included). Encoding slices of the array and decoding it one
element at a time gives other threads the GIL between slices; the text and the values are exactly
what `json.dumps` / `json.loads` give."""

from __future__ import annotations

import json
import re
from typing import Any

SLICE = 2_000  # array elements per encoding call (a few milliseconds of work)
SMALL_TEXT = 256_000  # decoded in one call below this many characters
_decoder = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def dumps(value: Any) -> str:
    if not isinstance(value, list) or len(value) <= SLICE:
        return json.dumps(value)
    parts = (json.dumps(value[start : start + SLICE])[1:-1] for start in range(0, len(value), SLICE))
    return "[" + ", ".join(parts) + "]"


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8")
    if len(text) < SMALL_TEXT:
        return json.loads(text)
    position = _WHITESPACE.match(text).end()  # type: ignore[union-attr]  # matches the empty string
    if not text.startswith("[", position):
        return json.loads(text)
    return _array(text, position + 1)


def _array(text: str, position: int) -> list[Any]:
    items: list[Any] = []
    append, scan = items.append, _decoder.scan_once  # type: ignore[attr-defined]  # set in __init__
    position = _skip(text, position)
    if text.startswith("]", position):
        return _end(text, position + 1, items)
    while True:
        try:
            item, position = scan(text, position)
        except StopIteration as stop:
            after = _skip(text, position)  # whitespace after ", " (the scanner does not skip it)
            if after == position:
                raise json.JSONDecodeError("Expecting value", text, stop.value) from None
            position = after
            continue
        append(item)
        if text.startswith(", ", position):  # what dumps writes; anything else takes the long way
            position += 2
            continue
        position = _skip(text, position)
        if text.startswith(",", position):
            position = _skip(text, position + 1)
        elif text.startswith("]", position):
            return _end(text, position + 1, items)
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, position)


def _end(text: str, position: int, items: list[Any]) -> list[Any]:
    if _skip(text, position) != len(text):
        raise json.JSONDecodeError("Extra data", text, position)
    return items


def _skip(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]  # matches the empty string
