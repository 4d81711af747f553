"""What chains need of an embedder: texts in, one L2-normalized row per text out.

The model itself is an index adapter (`pilot.index.embedding`, the same loaded MiniLM); the
pipeline hands it to the engines that use it, so chains never import the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Maps texts to L2-normalized vectors, one row per text."""

    def __call__(self, texts: Sequence[str]) -> Vectors: ...


__all__ = ["Embedder", "Vectors"]
