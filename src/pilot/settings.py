"""Settings from the environment (``PILOT_`` prefix). Built when needed, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # How MiniLM runs: sentence-transformers, or ONNX Runtime on a local export (see index.onnx_embedding).
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = "torch"

    # Largest transcript or notes file accepted (bytes); larger input is refused before parsing.
    max_transcript_bytes: int = 20 * 1024 * 1024

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
