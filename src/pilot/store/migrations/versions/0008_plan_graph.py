"""plan graph: milestone and dependency links, durations, linked tickets, dependency forecasts

Revision ID: 0008
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("depends_on", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("duration_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("tickets", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("dependencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forecast_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("forecast_history", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("depends_on", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("duration_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dependencies", schema=None) as batch_op:
        for name in ("duration_days", "depends_on", "forecast_history", "forecast_date"):
            batch_op.drop_column(name)
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        for name in ("tickets", "duration_days", "depends_on"):
            batch_op.drop_column(name)
