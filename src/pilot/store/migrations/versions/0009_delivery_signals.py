"""delivery signals: GitHub Actions runs, pull requests, Jira tickets and their changelog

Revision ID: 0009
Revises: 0001
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pilot.store.tables

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None


def _program_id() -> sa.Column[str]:
    return sa.Column("program_id", sa.String(length=64), nullable=False)


def _program_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["program_id"], ["programs.id"], ondelete="CASCADE")


def upgrade() -> None:
    when = pilot.store.tables.UTCDateTime(timezone=True)
    op.create_table(
        "delivery_ci_runs",
        _program_id(),
        sa.Column("repo", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("workflow", sa.String(length=300), nullable=False),
        sa.Column("branch", sa.String(length=300), nullable=False),
        sa.Column("default_branch", sa.String(length=300), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("conclusion", sa.String(length=32), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        _program_fk(),
        sa.PrimaryKeyConstraint("program_id", "repo", "run_id"),
    )
    op.create_table(
        "delivery_pull_requests",
        _program_id(),
        sa.Column("repo", sa.String(length=200), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("draft", sa.Boolean(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("closed_at", when, nullable=True),
        sa.Column("merged_at", when, nullable=True),
        sa.Column("first_review_at", when, nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        _program_fk(),
        sa.PrimaryKeyConstraint("program_id", "repo", "number"),
    )
    op.create_table(
        "delivery_tickets",
        _program_id(),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=100), nullable=False),
        sa.Column("status_category", sa.String(length=32), nullable=True),
        sa.Column("updated_at", when, nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        _program_fk(),
        sa.PrimaryKeyConstraint("program_id", "key"),
    )
    op.create_table(
        "delivery_ticket_changes",
        _program_id(),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("history_id", sa.String(length=64), nullable=False),
        sa.Column("item", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", when, nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("from_string", sa.Text(), nullable=True),
        sa.Column("to_string", sa.Text(), nullable=True),
        _program_fk(),
        sa.PrimaryKeyConstraint("program_id", "key", "history_id", "item"),
    )


def downgrade() -> None:
    for table in (
        "delivery_ticket_changes",
        "delivery_tickets",
        "delivery_pull_requests",
        "delivery_ci_runs",
    ):
        op.drop_table(table)
