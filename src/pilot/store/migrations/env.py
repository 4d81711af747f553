"""Alembic environment: runs on the connection `pilot.store.db.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import pilot.store.delivery  # noqa: F401 - its tables are part of the schema
from pilot.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section) or {}, poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
