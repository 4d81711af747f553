"""Cache of chunk extractions keyed by (transcript text, prompt hash, model).

Re-running the same extraction (a retried job, the same file pasted twice) costs no LLM call. The
key covers exactly what determines the answer; the value is the validated `ExtractionOutput` JSON.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Protocol

from pilot.chains.schema import ExtractionOutput


def cache_key(*, text_hash: str, prompt_hash: str, model: str) -> str:
    data = json.dumps({"text": text_hash, "prompt": prompt_hash, "model": model}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


class ExtractionCache(Protocol):
    def get(self, key: str) -> ExtractionOutput | None: ...

    def put(self, key: str, value: ExtractionOutput) -> None: ...


class InMemoryExtractionCache:
    def __init__(self) -> None:
        self.entries: dict[str, str] = {}

    def get(self, key: str) -> ExtractionOutput | None:
        raw = self.entries.get(key)
        return ExtractionOutput.model_validate_json(raw) if raw is not None else None

    def put(self, key: str, value: ExtractionOutput) -> None:
        self.entries[key] = value.model_dump_json()


class SqliteExtractionCache:
    """A single-table SQLite file, e.g. ``<data dir>/cache/extraction.sqlite``; safe across threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        with self._lock, self._conn:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS extraction_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SqliteExtractionCache:
        return cls(data_dir / "cache" / "extraction.sqlite")

    def get(self, key: str) -> ExtractionOutput | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM extraction_cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return ExtractionOutput.model_validate_json(row[0])
        except ValueError:
            return None  # written by an older schema: treat as a miss, it will be overwritten

    def put(self, key: str, value: ExtractionOutput) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO extraction_cache (key, value) VALUES (?, ?)",
                (key, value.model_dump_json()),
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
