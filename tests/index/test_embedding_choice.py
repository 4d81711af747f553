"""The embedding backend follows the CPU flags it is given, and the index embeds one group while
the previous one is written."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from pilot.domain.documents import Chunk, Document, DocumentKind
from pilot.index.embedding import choose_backend, resolved_backend
from pilot.index.onnx_embedding import MAX_TOKENS, _first_windows, _packed
from pilot.index.writing import embed_and_write
from pilot.settings import Settings

AVX2_EPYC = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 bmi1 bmi2 sha_ni".split()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (AVX2_EPYC, "onnx-int8"),  # AVX2 only: int8 is still 1.7x fp32 (measured)
        ("fpu sse sse2 ssse3 sse4_1 sse4_2 avx".split(), "onnx"),  # no AVX2: fp32
        ([*AVX2_EPYC, "avx512f", "avx512bw"], "onnx-int8"),  # AVX-512 without VNNI
        ([*AVX2_EPYC, "avx512f", "avx512_vnni"], "onnx-int8"),
        ([*AVX2_EPYC, "avx_vnni"], "onnx-int8"),  # Alder Lake and later
        ([*AVX2_EPYC, "amx_tile", "amx_int8"], "onnx-int8"),
        (["fp", "asimd", "asimddp"], "onnx-int8"),  # ARM dot product
        (["fp", "asimd"], "onnx"),
        ([], "onnx"),  # flags unknown
        (["AVX512_VNNI"], "onnx-int8"),
    ],
)
def test_the_backend_follows_the_cpu_flags(flags: list[str], expected: str) -> None:
    assert choose_backend(flags) == expected


def test_auto_reads_this_machines_flags_and_a_forced_backend_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pilot.index.embedding.cpu_flags", lambda: frozenset(["fpu", "sse2", "avx"]))
    assert Settings().embedding_backend == "auto"
    assert resolved_backend(Settings()) == "onnx"
    monkeypatch.setattr("pilot.index.embedding.cpu_flags", lambda: frozenset(AVX2_EPYC))
    assert resolved_backend(Settings()) == "onnx-int8"
    for forced in ("torch", "onnx", "onnx-int8"):
        assert resolved_backend(Settings(embedding_backend=forced)) == forced


def test_units_are_packed_in_order_up_to_the_room_and_cut_to_the_models_window() -> None:
    sequences, where = _packed([[1, 2], [3], [4, 5, 6], [], [7], list(range(300))], 4, [0] * 6)  # one group
    assert sequences[:2] == [[1, 2, 3], [4, 5, 6, 7]] and sequences[2] == list(range(MAX_TOKENS - 2))
    assert where == [[(0, 0, 2), (1, 2, 3)], [(2, 0, 3), (3, 3, 3), (4, 3, 4)], [(5, 0, MAX_TOKENS - 2)]]


def test_with_windows_each_unit_is_read_with_the_first_window_that_holds_it() -> None:
    windows = [(0, 2), (1, 4), (3, 5)]  # overlapping by one unit, as transcript chunks do
    first = _first_windows(windows, 5)
    assert first == [0, 0, 1, 1, 2]
    pieces = [[1, 2], [3], [4, 5], [6], [7, 8]]
    sequences, where = _packed(pieces, 8, first)  # room for all: still one sequence per window
    assert sequences == [[1, 2, 3], [4, 5, 6], [7, 8]]
    assert _packed(pieces, 2, first)[0] == [[1, 2], [3], [4, 5], [6], [7, 8]]  # and within the room
    assert [unit for placed in where for unit, _, _ in placed] == [0, 1, 2, 3, 4]


def _group(name: str) -> list[tuple[Document, list[Chunk]]]:
    doc = Document(program_id="p", source="file", external_id=name, kind=DocumentKind.TRANSCRIPT, text=name)
    return [(doc, [Chunk(id=name, program_id="p", document_key=doc.key, text=name, metadata={})])]


def test_a_group_is_written_while_the_next_is_embedded() -> None:
    first_written = threading.Event()
    log: list[str] = []

    def embed(group: list[tuple[Document, list[Chunk]]]) -> np.ndarray:
        name = group[0][0].external_id
        if name == "b":  # the write of "a" starts while "b" is being embedded
            log.append(f"b saw a written: {first_written.wait(10)}")
        return np.ones((1, 3), np.float32)

    def write(group: list[tuple[Document, list[Chunk]]], vectors: np.ndarray) -> int:
        log.append(f"write {group[0][0].external_id}")
        first_written.set()
        return 1

    assert embed_and_write([_group("a"), _group("b"), _group("c")], embed, write, None) == 3
    assert log == ["write a", "b saw a written: True", "write b", "write c"]


def test_a_group_that_cannot_be_embedded_is_reported_and_the_rest_go_on() -> None:
    failed: list[str] = []

    def embed(group: list[tuple[Document, list[Chunk]]]) -> np.ndarray:
        if group[0][0].external_id == "b":
            raise RuntimeError("model gone")
        return np.ones((1, 3), np.float32)

    written = embed_and_write([_group("a"), _group("b"), _group("c")], embed, lambda g, v: 1,
                              lambda doc, exc: failed.append(f"{doc.external_id}: {exc}"))  # fmt: skip
    assert (written, failed) == (2, ["b: model gone"])
    with pytest.raises(RuntimeError, match="model gone"):
        embed_and_write([_group("a"), _group("b")], embed, lambda g, v: 1, None)
