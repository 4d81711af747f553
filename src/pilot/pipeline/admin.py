"""Operating pilot: the database schema as a deploy step."""

from __future__ import annotations

from pydantic import BaseModel

from pilot.domain.errors import ErrorCode, PilotError
from pilot.settings import Settings
from pilot.store.db import make_engine, schema_revisions, upgrade_schema


class SchemaStatus(BaseModel):
    database: str  # the URL without its password
    current: str | None
    needed: str | None
    previous: str | None = None  # before an upgrade

    @property
    def up_to_date(self) -> bool:
        return self.current == self.needed


def _shown(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def upgrade_database(settings: Settings) -> SchemaStatus:
    """Migrate the configured database to this pilot's schema revision (idempotent)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    before, after = upgrade_schema(settings.resolved_database_url)
    return SchemaStatus(database=_shown(settings), current=after, needed=after, previous=before)


def database_status(settings: Settings) -> SchemaStatus:
    from sqlalchemy.exc import SQLAlchemyError

    engine = make_engine(settings.resolved_database_url)
    try:
        current, needed = schema_revisions(engine)
    except SQLAlchemyError as exc:
        raise PilotError(ErrorCode.STORAGE, f"cannot read the database: {exc}") from exc
    finally:
        engine.dispose()
    return SchemaStatus(database=_shown(settings), current=current, needed=needed)
