"""chunks in SQL with the keyword index beside them (SQLite FTS5, PostgreSQL tsvector + GIN)

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-02 12:00:00

Documents indexed before this revision have their chunks only in the vector store; they are
marked `backfill`, and the next indexing run (`pilot index`, an ingest or a sync) writes their
chunk rows from the texts the vector store kept, without embedding again. Until then they are
not found by search.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0004"
branch_labels = None
depends_on = None

# FTS5 over the normalized terms pilot writes (space-separated, already folded): the `ascii`
# tokenizer splits them back exactly. External content: the text lives once, in `chunks`.
SQLITE_FTS = """
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    program_key, terms, content='chunks', content_rowid='id', tokenize='ascii'
)"""
SQLITE_TRIGGERS = (
    """CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, program_key, terms) VALUES (new.id, new.program_key, new.terms);
    END""",
    """CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, program_key, terms)
        VALUES ('delete', old.id, old.program_key, old.terms);
    END""",
    """CREATE TRIGGER chunks_fts_update AFTER UPDATE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, program_key, terms)
        VALUES ('delete', old.id, old.program_key, old.terms);
        INSERT INTO chunks_fts(rowid, program_key, terms) VALUES (new.id, new.program_key, new.terms);
    END""",
)
POSTGRES_TSV = (
    "ALTER TABLE chunks ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED",
    "CREATE INDEX ix_chunks_tsv ON chunks USING gin (tsv)",
)


def upgrade() -> None:
    op.create_table(
        "chunks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chunk_id", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("program_key", sa.String(length=32), nullable=False),
        sa.Column("document_key", sa.String(length=600), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("date_ts", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chunk_id"),
    )
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.create_index("ix_chunks_program_document", ["program_id", "document_key"], unique=False)
    op.create_table(
        "keyword_terms",
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "term"),
    )
    op.create_table(
        "keyword_programs",
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("program_id"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    elif dialect == "postgresql":
        for statement in POSTGRES_TSV:
            op.execute(statement)
    op.execute("UPDATE documents SET index_state = 'backfill' WHERE index_state = 'indexed'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("chunks_fts_update", "chunks_fts_delete", "chunks_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS chunks_fts")
    op.drop_table("keyword_programs")
    op.drop_table("keyword_terms")
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_chunks_program_document")
    op.drop_table("chunks")
