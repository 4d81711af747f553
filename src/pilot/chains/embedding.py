"""The embedder lives with the index (`pilot.index.embedding`); chains use the same loaded model."""

from pilot.index.embedding import Embedder, MiniLMEmbedder, Vectors

__all__ = ["Embedder", "MiniLMEmbedder", "Vectors"]
