"""The pilot an eval suite measures: configured like the user's (embedding backend, retriever,
database engine), in a work folder of its own, with each eval meeting as a program holding its
transcript, stored and indexed by the ingest use case and searched by the one `pilot search` runs.

The work folder is temporary unless given. `database_url` defaults to SQLite in the work folder;
a PostgreSQL URL must name a scratch database (the eval upgrades its schema and adds programs
named `eval-<run>-<meeting>` to it).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pilot.domain.documents import Document, DocumentKind, Turn
from pilot.domain.program import ProgramData, ProgramInfo
from pilot.pipeline.admin import upgrade_database
from pilot.pipeline.context import Pilot, open_pilot
from pilot.pipeline.ingest import ingest_documents
from pilot.pipeline.programs import save_program_data
from pilot.pipeline.search import Embedder, Hit, search_program, use_embedder
from pilot.settings import Settings, get_settings


class EvalPilot:
    def __init__(self, pilot: Pilot) -> None:
        self.pilot = pilot
        self.run = uuid.uuid4().hex[:8]

    def add_meeting(self, meeting_id: str, turns: Sequence[Turn], *, source: str) -> str:
        """A program holding the meeting's transcript, one `Turn` per turn; returns its id."""
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", meeting_id).strip("-").lower() or "meeting"
        program_id = f"eval-{self.run}-{slug}"[:64]
        save_program_data(
            self.pilot,
            ProgramData(program=ProgramInfo(id=program_id, name=f"{source} {meeting_id}")),
            source=f"{source}/{meeting_id}",
        )
        doc = Document(
            program_id=program_id,
            source=source,
            external_id=meeting_id,
            kind=DocumentKind.TRANSCRIPT,
            title=meeting_id,
            text="\n".join(t.text for t in turns),
            turns=list(turns),
        )
        report = ingest_documents(self.pilot, program_id, [doc], source=source)
        if report.index_failures:
            raise RuntimeError(f"{meeting_id}: the meeting could not be indexed")
        return program_id

    def search(self, program_id: str, query: str, *, k: int, retriever: str | None = None) -> list[Hit]:
        return search_program(self.pilot, program_id, query, k=k, retriever=retriever)


@contextmanager
def eval_pilot(
    *,
    work_dir: Path | None = None,
    database_url: str | None = None,
    retriever: str = "default",
    embedder: Embedder | None = None,
) -> Iterator[EvalPilot]:
    """`embedder` replaces the configured model (tests)."""
    with tempfile.TemporaryDirectory(prefix="pilot-eval-") as tmp:
        settings: Settings = get_settings().model_copy(
            update={
                "data_dir": work_dir or Path(tmp),
                "database_url": database_url,
                "chroma_url": None,
                "retriever": retriever,
            }
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings)
        pilot = open_pilot(settings, actor="eval")
        if embedder is not None:
            use_embedder(pilot, embedder)
        try:
            yield EvalPilot(pilot)
        finally:
            pilot.close()
