"""The ONNX export of the bundled MiniLM gives the same vectors as sentence-transformers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pilot.index.embedding import MiniLMEmbedder
from pilot.index.onnx_embedding import MAX_TOKENS, OnnxMiniLM

TEXTS = ["Omar will finish the rollback runbook by Friday.", "The PCI segmentation is blocked on the CAB.", "ok",
         " ".join(["long"] * 400)]  # fmt: skip


@pytest.mark.slow
def test_onnx_export_matches_the_torch_model_and_int8_stays_close(tmp_path: Path) -> None:
    reference = MiniLMEmbedder()(TEXTS)
    exact = OnnxMiniLM(tmp_path)(TEXTS)
    assert exact.shape == (4, 384)
    assert float(np.min((exact * reference).sum(axis=1))) > 0.999
    assert (tmp_path / "minilm-l6-v2.onnx").is_file() and MAX_TOKENS == 256
    quantized = OnnxMiniLM(tmp_path, quantized=True)(TEXTS)
    # int8 weights move vectors (most for degenerate text); ordinary sentences stay close.
    assert float(np.min((quantized[:2] * reference[:2]).sum(axis=1))) > 0.9
    assert np.allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-4)
