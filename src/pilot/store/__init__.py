"""Persistence: program data of record and review state in SQL, documents and the vector index."""
