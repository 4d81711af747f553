"""job leases (worker, heartbeat, requester) and, on PostgreSQL, the procrastinate queue schema

Revision ID: 0004
Revises: 0006
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic import op

import pilot.store.tables

revision = "0004"
down_revision = "0006"
branch_labels = None
depends_on = None


def _procrastinate_schema() -> str:
    # Read as a data file: the queue library itself is imported only by pilot.pipeline.queue_pg.
    return (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("worker", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("heartbeat_at", pilot.store.tables.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_jobs_status", ["status"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The queue's own tables and functions (procrastinate, pinned in requirements.txt), so that
        # `pilot db upgrade` is the one deploy step; a procrastinate upgrade adds a revision here
        # that applies its migration files.
        # On the driver's connection (same transaction): the schema's RAISE formats contain '%',
        # which a DB-API call with a parameter list would read as placeholders.
        driver = bind.connection.driver_connection
        assert driver is not None
        driver.execute(_procrastinate_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_jobs, procrastinate_workers CASCADE; "
            "DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type, "
            "procrastinate_job_to_defer_v1 CASCADE"
        )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("worker")
        batch_op.drop_column("requested_by")
