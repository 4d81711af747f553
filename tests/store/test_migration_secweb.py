"""Migration 0010secweb on a data directory written by an earlier version: links that are not
http(s) are gone from every table that stored one (the documents say why), the program loads,
and of the never-expiring demo admin tokens only the newest is left, with a week to live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from pilot.domain.auth import Role
from pilot.domain.documents import Document, DocumentKind
from pilot.pipeline.access import issue_token
from pilot.pipeline.context import fixed_clock, open_pilot
from pilot.pipeline.programs import get_program, import_program_file
from pilot.sample import SAMPLE_NOW, SAMPLE_PROGRAM_ID, sample_program_path
from pilot.settings import Settings
from pilot.store.auth import authenticate
from pilot.store.db import make_engine
from pilot.store.documents import upsert_document
from pilot.store.tables import ApiTokenRow, ChunkRow

P = SAMPLE_PROGRAM_ID
EVIL = "javascript:alert(document.cookie)"


def test_the_migration_removes_stored_hostile_links_and_retires_demo_tokens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    pilot = open_pilot(Settings(data_dir=tmp_path / "d", database_url=url), clock=fixed_clock(SAMPLE_NOW))
    import_program_file(pilot, sample_program_path())
    doc = Document(program_id=P, source="pagerduty", external_id="Q1", kind=DocumentKind.INCIDENT, title="t",
                   text="the incident", url="https://acmepay.pagerduty.com/incidents/Q1")  # fmt: skip
    good = doc.model_copy(update={"external_id": "Q2"})
    demo = [
        issue_token(pilot, user_id="demo-admin", role=Role.ADMIN, program_id=P, token_name="demo")
        for _ in range(3)
    ]
    with pilot.db.transaction() as session:
        upsert_document(session, doc, pilot.now())
        upsert_document(session, good, pilot.now())
        session.add(ChunkRow(chunk_id="c1", program_id=P, program_key="k", document_key="pagerduty:Q1", position=0,
                             source="pagerduty", kind="incident", date_ts=None, text="the incident", terms="incident",
                             meta={"url": EVIL, "title": "t"}))  # fmt: skip
    pilot.close()
    engine = make_engine(url)
    with engine.begin() as connection:  # what an earlier version stored
        connection.execute(text("UPDATE documents SET url = :u WHERE external_id = 'Q1'"), {"u": EVIL})
        connection.execute(
            text("UPDATE incidents SET postmortem_url = :u WHERE id = 'INC-2041'"), {"u": EVIL}
        )
        connection.execute(text("UPDATE alembic_version SET version_num = 'layers_holidays'"))
    engine.dispose()

    pilot = open_pilot(Settings(data_dir=tmp_path / "d", database_url=url), clock=fixed_clock(SAMPLE_NOW))
    with pilot.db.transaction() as session:
        rows = {
            r.external_id: r
            for r in session.execute(text("SELECT external_id, url, warnings FROM documents"))
        }
        assert rows["Q1"].url is None and "not an http(s) link" in rows["Q1"].warnings
        assert rows["Q2"].url == "https://acmepay.pagerduty.com/incidents/Q1"  # a web link stays
        chunk = session.query(ChunkRow).filter_by(chunk_id="c1").one()
        assert "url" not in chunk.meta and chunk.meta["title"] == "t"
        tokens = {t.id: t for t in session.query(ApiTokenRow).filter_by(user_id="demo-admin")}
        revoked = [t for t in tokens.values() if t.revoked_at is not None]
        live = [t for t in tokens.values() if t.revoked_at is None]
        assert len(revoked) == 2 and len(live) == 1 and live[0].id == max(tokens)
        assert live[0].expires_at is not None
        assert timedelta(days=6) < live[0].expires_at - datetime.now(UTC) <= timedelta(days=7)
        now = datetime.now(UTC)
        assert authenticate(session, demo[-1], now) is not None
        assert authenticate(session, demo[0], now) is None
    incident = next(i for i in get_program(pilot, P).incidents if i.id == "INC-2041")
    assert incident.postmortem_url is None  # the program loads; the link is gone
    pilot.close()
