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
    assert (tmp_path / "minilm-l6-v2.v1.onnx").is_file() and MAX_TOKENS == 256
    quantized = OnnxMiniLM(tmp_path, quantized=True)(TEXTS)
    # int8 weights move vectors (most for degenerate text); ordinary sentences stay close.
    assert float(np.min((quantized[:2] * reference[:2]).sum(axis=1))) > 0.9
    assert np.allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_processes_racing_to_export_share_one_complete_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = "import sys; from pathlib import Path; from pilot.index.onnx_embedding import export_model; " \
             "print(export_model(Path(sys.argv[1]), quantized=False))"  # fmt: skip
    racers = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "cache")], stdout=subprocess.PIPE,
                               text=True) for _ in range(2)]  # fmt: skip
    outputs = [racer.communicate(timeout=600)[0].strip() for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)
    assert outputs[0] == outputs[1] and Path(outputs[0]).stat().st_size > 50_000_000
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        Path(outputs[0]).name
    ]  # no partial left


def test_the_export_goes_to_the_shared_cache_not_the_data_directory(tmp_path: Path) -> None:
    from pilot.index.embedding import embedder_for
    from pilot.settings import Settings

    made: list[Path] = []
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", embedding_backend="onnx")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pilot.index.onnx_embedding.OnnxMiniLM.__init__",
                      lambda self, folder, **_: made.append(folder))  # fmt: skip
        embedder_for(settings)
    assert made == [tmp_path / "cache" / "models"]


@pytest.mark.slow
def test_overlapping_windows_embed_each_unit_once_and_stay_close_to_chunks_alone(tmp_path: Path) -> None:
    model = OnnxMiniLM(tmp_path)
    units = ["Ana: the vendor contract is signed, legal approved it on Monday.",
             "Omar: then the rollback runbook is the last blocker for the cutover.",
             "Ana: Omar owns it, due Friday; I will check the staging results first.",
             "Lee: staging failed twice on the certificate rotation, we need a fix.",
             "Omar: I can pair with security on the certificate tomorrow morning."]  # fmt: skip
    windows = [(0, 2), (1, 3), (2, 5)]
    seen: list[int] = []
    run = model.session.run
    model.session = type("Counting", (), {"run": lambda self, out, feed: seen.extend(feed["attention_mask"].sum(axis=1).tolist()) or run(out, feed)})()  # type: ignore[assignment]  # fmt: skip
    pooled = model.embed_windows(units, windows)
    unit_tokens = sum(len(e.ids) - 2 for e in model.tokenizer.encode_batch(units))
    assert sum(seen) - unit_tokens == 2 * len(seen)  # every unit's tokens once, plus [CLS]/[SEP] per sequence
    assert len(seen) == 3  # one sequence per window's new units: (0, 1), (2), (3, 4)
    alone = model(["\n".join(units[a:b]) for a, b in windows])
    assert pooled.shape == (3, 384) and np.allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-4)
    assert float(np.min((pooled * alone).sum(axis=1))) > 0.8
