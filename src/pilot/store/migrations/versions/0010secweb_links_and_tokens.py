"""links that are not http(s) removed from stored data; demo admin tokens given an expiry

Revision ID: 0010secweb
Revises: layers_holidays
Create Date: 2026-12-02 18:00:00

Earlier versions stored whatever link a source gave (`javascript:...` included) and `pilot demo`
minted a new admin token that never expires on every run. This revision

- drops every stored link that is not http(s) (the rule of `pilot.domain.urls`): a document keeps
  its text and gets a warning saying why it has no link; an incident its other fields (its
  `postmortem_url` would no longer load); delivery rows, write-back links and chunk metadata lose
  the link;
- revokes every never-expiring demo token but the newest, and gives that one a week to live.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

from pilot.clock import system_clock
from pilot.domain.urls import unsafe_url_warning, web_url

revision = "0010secweb"
down_revision = "layers_holidays"
branch_labels = None
depends_on = None

LINK_COLUMNS = (
    ("incidents", "postmortem_url"),
    ("delivery_ci_runs", "url"),
    ("delivery_pull_requests", "url"),
    ("delivery_tickets", "url"),
    ("external_links", "url"),
)


def _unsafe(value: Any) -> bool:
    return value is not None and web_url(value) is None


def _documents(bind: sa.Connection) -> None:
    documents = sa.table(
        "documents",
        sa.column("id", sa.Integer),
        sa.column("source", sa.String),
        sa.column("external_id", sa.String),
        sa.column("url", sa.String),
        sa.column("warnings", sa.JSON),
    )
    chunks = sa.table(
        "chunks",
        sa.column("id", sa.Integer),
        sa.column("document_key", sa.String),
        sa.column("meta", sa.JSON),
    )
    rows = bind.execute(sa.select(documents).where(documents.c.url.is_not(None))).all()
    for row in rows:
        if not _unsafe(row.url):
            continue
        warning = unsafe_url_warning("the source's link", row.url)
        warnings = [*(row.warnings or []), warning]
        bind.execute(documents.update().where(documents.c.id == row.id).values(url=None, warnings=warnings))
        key = f"{row.source}:{row.external_id}"
        for chunk in bind.execute(sa.select(chunks).where(chunks.c.document_key == key)).all():
            meta = dict(chunk.meta or {})
            if _unsafe(meta.get("url")):
                meta.pop("url")
                bind.execute(chunks.update().where(chunks.c.id == chunk.id).values(meta=meta))


def _link_columns(bind: sa.Connection) -> None:
    inspector = sa.inspect(bind)
    for table_name, column in LINK_COLUMNS:
        if not inspector.has_table(table_name):
            continue
        keys = inspector.get_pk_constraint(table_name)["constrained_columns"]
        table = sa.table(table_name, *(sa.column(name) for name in [*keys, column]))
        for row in bind.execute(sa.select(table).where(table.c[column].is_not(None))).mappings():
            if _unsafe(row[column]):
                match = sa.and_(*(table.c[name] == row[name] for name in keys))
                bind.execute(table.update().where(match).values({column: None}))


def _demo_tokens(bind: sa.Connection) -> None:
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.String),
        sa.column("name", sa.String),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    forever = (
        bind.execute(
            sa.select(tokens.c.id)
            .where(tokens.c.user_id == "demo-admin", tokens.c.name == "demo")
            .where(tokens.c.expires_at.is_(None), tokens.c.revoked_at.is_(None))
            .order_by(tokens.c.id)
        )
        .scalars()
        .all()
    )
    if not forever:
        return
    now = system_clock()
    *older, newest = forever
    if older:
        bind.execute(tokens.update().where(tokens.c.id.in_(older)).values(revoked_at=now))
    bind.execute(tokens.update().where(tokens.c.id == newest).values(expires_at=now + timedelta(days=7)))


def upgrade() -> None:
    bind = op.get_bind()
    _documents(bind)
    _link_columns(bind)
    _demo_tokens(bind)


def downgrade() -> None:
    pass  # the links removed were never safe to render; nothing to put back
