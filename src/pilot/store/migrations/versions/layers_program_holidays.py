"""programs.holidays: a program's non-working days besides weekends

Revision ID: layers_holidays
Revises: 0010_query
Create Date: 2026-12-02 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "layers_holidays"
down_revision = "0010_query"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("holidays", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("holidays")
