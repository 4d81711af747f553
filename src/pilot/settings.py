"""Settings from the environment (``PILOT_`` prefix). Built when needed, never at import."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pilot.domain.usage import ModelPrice

# OpenAI's published list prices (USD per 1M tokens, standard tier) for the models people start
# with; PILOT_LLM_PRICES replaces the whole table.
DEFAULT_LLM_PRICES = {
    "gpt-4o-mini": ModelPrice(input=0.15, output=0.60),
    "gpt-4o": ModelPrice(input=2.50, output=10.00),
    "gpt-4.1-mini": ModelPrice(input=0.40, output=1.60),
    "gpt-4.1": ModelPrice(input=2.00, output=8.00),
}


def default_cache_dir() -> Path:
    """Machine-wide cache for derived files every data directory can share (the ONNX export of
    the bundled model): `$XDG_CACHE_HOME/pilot`, else `~/.cache/pilot`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pilot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PILOT_", env_file=None, extra="ignore")

    data_dir: Path = Path(".pilot")
    database_url: str | None = None  # default: SQLite file in data_dir
    chroma_url: str | None = None  # default: embedded PersistentClient in data_dir

    llm_model: str = "gpt-4o-mini"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("PILOT_LLM_API_KEY", "OPENAI_API_KEY")
    )
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 3
    # Sent as `max_tokens`: an answer cut off at this limit is retried on a smaller chunk.
    llm_max_output_tokens: int = Field(default=4096, ge=256)
    # How the schema is asked for: json_schema (OpenAI, Azure, vLLM, LM Studio, Ollama >= 0.5),
    # function_calling (servers with tool support), json_mode (older servers; not LM Studio).
    llm_structured_output: Literal["json_schema", "function_calling", "json_mode"] = "json_schema"
    # At most this many LLM calls at once per endpoint in one process (chunks of a transcript run
    # in parallel up to it). Local servers serving one request at a time want 1.
    llm_max_concurrency: int = Field(default=4, ge=1, le=64)
    # Transcript chunk size in (estimated) input tokens; smaller for local models with a short context.
    llm_chunk_tokens: int = Field(default=6000, ge=500)
    # US dollars per million input/output tokens, by model name (a JSON object in PILOT_LLM_PRICES,
    # e.g. {"llama3.1:8b": {"input": 0, "output": 0}}). A model not in the table has an unknown cost.
    llm_prices: dict[str, ModelPrice] = Field(default_factory=lambda: dict(DEFAULT_LLM_PRICES))
    azure_openai_endpoint: str | None = None
    azure_openai_api_version: str | None = None
    azure_openai_deployment: str | None = None

    jira_url: str | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_jql: str | None = None
    # "cloud": REST v3 token-paged search, e-mail + API token; "server": Data Center REST v2, PAT
    jira_deployment: Literal["cloud", "server"] = "cloud"
    jira_project_key: str | None = None  # where approved action items are created
    jira_issue_type: str = "Task"
    github_repo: str | None = None  # owner/name
    github_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    pagerduty_token: SecretStr | None = None
    pagerduty_api_url: str = "https://api.pagerduty.com"
    slack_webhook_url: SecretStr | None = None

    # The retriever configuration (retrievers/<name>.yaml) documents are chunked with and searched by.
    retriever: str = "default"

    # How MiniLM runs: "auto" (default) picks from the CPU's flags: the int8 ONNX export where the
    # CPU has int8 vector instructions (AVX2 and later, VNNI, AMX, ARM dotprod), the fp32 one
    # otherwise (the same vectors as sentence-transformers); "onnx" / "onnx-int8" force one, "torch"
    # runs sentence-transformers itself (see index.embedding and index.onnx_embedding).
    embedding_backend: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"
    # ONNX backends: a transcript's turns are embedded once, each window's new turns read together,
    # and each overlapping chunk's vector pooled from its turns' token vectors (~1.4x fewer tokens,
    # ingest 1.24x faster). QMSum val hybrid hit@200w/1000w 0.700/0.941 against 0.696/0.941 with
    # every chunk embedded whole (false), measured 2026-12-03 (tuned on QMSum val).
    embedding_reuse_overlap: bool = True
    # Where the ONNX export is made once and shared by every data directory and process.
    cache_dir: Path = Field(default_factory=default_cache_dir)

    # Web sessions: origins besides this site's own (scheme://host[:port], comma-separated) whose
    # pages may send changes with the session cookie, e.g. when a proxy rewrites the Host header.
    trusted_origins: str = ""

    def trusted_origin_list(self) -> list[str]:
        return [o.strip() for o in self.trusted_origins.split(",") if o.strip()]

    # Largest transcript or notes file accepted (bytes); larger input is refused before parsing.
    max_transcript_bytes: int = 20 * 1024 * 1024

    # Jobs. "local": worker threads in the serving process over the jobs table (embedded default);
    # "procrastinate": the API enqueues on PostgreSQL and `pilot worker` processes run the jobs.
    queue: Literal["local", "procrastinate"] = "local"
    job_workers: int = Field(default=2, ge=1, le=32)  # worker threads (local) or jobs at once (worker)
    job_heartbeat_s: float = Field(default=5.0, gt=0)  # a running job's lease is renewed this often
    job_stall_s: float = Field(default=30.0, gt=0)  # a lease this old means the worker died
    job_max_attempts: int = Field(default=3, ge=1)  # interruptions before a job is failed (retryable)
    job_wait_s: float = Field(default=10.0, ge=0)  # short jobs (scan, push) answered within the request

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pilot.db').resolve()}"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_api_key or self.llm_base_url or self.azure_openai_endpoint)


def get_settings() -> Settings:
    return Settings()
