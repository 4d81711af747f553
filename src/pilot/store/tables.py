"""SQL schema (SQLAlchemy 2.0). Migrations in `migrations/versions` must match these tables.

Program records are keyed by (program_id, id). Column names equal the domain model's field names
so rows convert to and from `pilot.domain.program` models without per-field code; list-valued
fields are JSON columns.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite keeps no offset, so it is re-attached on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class RecordMixin:
    """Columns every program record has: its program, and its position in the program file."""

    program_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, default=0)


class ProgramRow(Base):
    __tablename__ = "programs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    start_date: Mapped[date | None] = mapped_column(Date)
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    holidays: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TeamRow(RecordMixin, Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lead: Mapped[str | None] = mapped_column(String(64))


class PersonRow(RecordMixin, Base):
    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    team: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(200))


class MilestoneRow(RecordMixin, Base):
    __tablename__ = "milestones"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    team: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(64))
    target_date: Mapped[date] = mapped_column(Date)
    forecast_date: Mapped[date | None] = mapped_column(Date)
    forecast_history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(32))
    critical_path: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_on: Mapped[date | None] = mapped_column(Date)
    acceptance_criteria: Mapped[list[Any]] = mapped_column(JSON, default=list)
    depends_on: Mapped[list[Any]] = mapped_column(JSON, default=list)
    duration_days: Mapped[int | None] = mapped_column(Integer)
    tickets: Mapped[list[Any]] = mapped_column(JSON, default=list)


class DependencyRow(RecordMixin, Base):
    __tablename__ = "dependencies"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deliverable: Mapped[str] = mapped_column(Text)
    provider_team: Mapped[str] = mapped_column(String(64))
    consumer_team: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date] = mapped_column(Date)
    forecast_date: Mapped[date | None] = mapped_column(Date)
    forecast_history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(32))
    delivered_on: Mapped[date | None] = mapped_column(Date)
    milestone: Mapped[str | None] = mapped_column(String(64))
    acceptance_criteria: Mapped[list[Any]] = mapped_column(JSON, default=list)
    depends_on: Mapped[list[Any]] = mapped_column(JSON, default=list)
    duration_days: Mapped[int | None] = mapped_column(Integer)


class RaidRow(RecordMixin, Base):
    __tablename__ = "raid_items"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str | None] = mapped_column(String(64))
    probability: Mapped[int | None] = mapped_column(Integer)
    impact: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    mitigation: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime]
    owner_assigned_at: Mapped[datetime | None]
    last_progress_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    milestone: Mapped[str | None] = mapped_column(String(64))


class DecisionRow(RecordMixin, Base):
    __tablename__ = "decisions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    recommendation: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    needed_by: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None]
    decider: Mapped[str | None] = mapped_column(String(64))
    cost_of_delay: Mapped[str | None] = mapped_column(Text)
    milestone: Mapped[str | None] = mapped_column(String(64))


class ActionItemRow(RecordMixin, Base):
    __tablename__ = "action_items"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(64))
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    milestone: Mapped[str | None] = mapped_column(String(64))
    source_document: Mapped[str | None] = mapped_column(String(300))
    source_span: Mapped[str | None] = mapped_column(String(300))


class ChangeRequestRow(RecordMixin, Base):
    __tablename__ = "change_requests"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime]
    impact_days: Mapped[float | None] = mapped_column(Float)
    approved: Mapped[bool | None] = mapped_column(Boolean)
    decided_at: Mapped[datetime | None]
    milestone: Mapped[str | None] = mapped_column(String(64))


class ReadinessRow(RecordMixin, Base):
    __tablename__ = "readiness_items"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    release: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(64))
    gate_date: Mapped[date] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_on: Mapped[date | None] = mapped_column(Date)


class CorrectiveActionRow(RecordMixin, Base):
    __tablename__ = "corrective_actions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    incident: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(64))
    due: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class IncidentRow(RecordMixin, Base):
    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    service: Mapped[str | None] = mapped_column(String(200))
    release: Mapped[str | None] = mapped_column(String(64))
    postmortem_url: Mapped[str | None] = mapped_column(String(1000))


class FindingRow(Base):
    """A program finding with its review state. (program_id, key) identifies it across scans."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("program_id", "key"), Index("ix_findings_program_state", "program_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(64), ForeignKey("programs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    subjects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    measures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    suggested_action: Mapped[str | None] = mapped_column(Text)
    facts_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    state_reason: Mapped[str | None] = mapped_column(Text)
    state_by: Mapped[str | None] = mapped_column(String(200))
    state_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    resolved_facts_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class KpiSampleRow(Base):
    """One KPI value per scan: the series behind the dashboard's trend charts."""

    __tablename__ = "kpi_samples"
    __table_args__ = (Index("ix_kpi_samples_program_kpi", "program_id", "kpi_id", "taken_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(64), ForeignKey("programs.id", ondelete="CASCADE"))
    kpi_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    taken_at: Mapped[datetime]


class AuditEventRow(Base):
    """Append-only, hash-chained: each hash covers the event's canonical JSON and the previous hash."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    program_id: Mapped[str | None] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """A single row locked by each append so concurrent writers cannot fork the chain."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class DocumentRow(Base):
    """A source document stored verbatim (with its content hash) before any processing."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("program_id", "source", "external_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(64), ForeignKey("programs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(2000))
    author: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    meeting_date: Mapped[date | None] = mapped_column(Date)
    turns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    stored_at: Mapped[datetime]
    # pending | indexed | failed | backfill (rows to rebuild from the vector store) | removing | removed
    index_state: Mapped[str] = mapped_column(String(16), default="pending")
    index_error: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None]


class SyncStateRow(Base):
    __tablename__ = "sync_state"
    program_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_run_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[list[Any]] = mapped_column(JSON, default=list)


class JobRow(Base):
    """Long work (extraction, sync, status draft) with its progress and result."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    program_id: Mapped[str] = mapped_column(String(64), ForeignKey("programs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))  # queued|running|succeeded|failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Who asked (the audit actor of what the job writes) and who runs it now: "host:pid:name".
    requested_by: Mapped[str | None] = mapped_column(String(200))
    worker: Mapped[str | None] = mapped_column(String(200))
    # The running worker's lease: renewed every few seconds (wall clock, not the program clock);
    # a job whose heartbeat is older than the stall timeout is taken over or failed.
    heartbeat_at: Mapped[datetime | None]


class DraftRow(Base):
    """A draft in the review queue. Only approval turns it into a program record."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_program_status", "program_id", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), ForeignKey("programs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    meeting_date: Mapped[date | None] = mapped_column(Date)
    source_document_id: Mapped[int | None] = mapped_column(Integer)
    job_id: Mapped[str | None] = mapped_column(String(36))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    record_ref: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)


# Program collections (ProgramData field name) -> row class.
RECORD_TABLES: dict[str, type[Base]] = {
    "teams": TeamRow,
    "people": PersonRow,
    "milestones": MilestoneRow,
    "dependencies": DependencyRow,
    "raid": RaidRow,
    "decisions": DecisionRow,
    "action_items": ActionItemRow,
    "change_requests": ChangeRequestRow,
    "readiness": ReadinessRow,
    "corrective_actions": CorrectiveActionRow,
    "incidents": IncidentRow,
}


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class GrantRow(Base):
    """A user's role on one program ("*" = every program)."""

    __tablename__ = "grants"
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))


class ApiTokenRow(Base):
    """API tokens are stored as SHA-256 hashes; the clear token is shown once, at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64), ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="api")  # api | session
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class ExternalLinkRow(Base):
    """Write-back idempotency: the external item (Jira/GitHub issue, Slack post) made for a record."""

    __tablename__ = "external_links"
    __table_args__ = (UniqueConstraint("program_id", "record_ref", "target"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    program_id: Mapped[str] = mapped_column(String(64), ForeignKey("programs.id", ondelete="CASCADE"))
    record_ref: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(32))  # jira | github | slack
    external_id: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime]


class ChunkRow(Base):
    """One searchable chunk of a document: the text both search arms return, and the row the
    keyword index is built on (SQLite: the FTS5 table `chunk_words`, written by `pilot.store.chunks`;
    PostgreSQL: the generated `tsv` column with a GIN index), over the terms keyed by the program.
    Both are created by migrations (0003, 0010_query) because SQLAlchemy cannot declare them; they
    change in the transaction that changes the row."""

    __tablename__ = "chunks"
    __table_args__ = (Index("ix_chunks_program_document", "program_id", "document_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chunk_id: Mapped[str] = mapped_column(String(64), unique=True)  # also the vector store's id
    program_id: Mapped[str] = mapped_column(String(64))
    program_key: Mapped[str] = mapped_column(String(32))  # prefix of the program's words in the keyword index
    document_key: Mapped[str] = mapped_column(String(600))
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    date_ts: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)  # the keyword terms, normalized, space-separated
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class KeywordTermRow(Base):
    """In how many chunks of a program a keyword term occurs: the keyword arm plans a query from it
    (very common terms cost the most and rank the least) and PostgreSQL ranks with it."""

    __tablename__ = "keyword_terms"
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    chunks: Mapped[int] = mapped_column(Integer)


class KeywordProgramRow(Base):
    """A program's chunk count and total term count (BM25's collection size and mean length)."""

    __tablename__ = "keyword_programs"
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    terms: Mapped[int] = mapped_column(Integer, default=0)
