"""The bundled sample: a tier-1 payments migration program and the material the other jobs ingest.

Everything under this package is package data (hatchling ships the whole ``src/pilot`` tree), so
``pilot demo`` and the tests find it in an installed wheel as well as in a checkout:

- ``program.yaml``: the program data of record (``ProgramData`` shape), dated relative to
  ``SAMPLE_NOW`` so that every program detector fires and every KPI has a value.
- ``transcripts/``: three meetings in three formats (WebVTT, "Name: text" Markdown notes, SRT);
  ``transcripts/README.md`` lists the facts each one holds (the gold of later extraction tests).
- ``tickets/``: a Jira REST v3 search response over two pages, the same issues as a Jira CSV
  export, and a GitHub issues list.
- ``incidents/``: a PagerDuty REST v2 incidents list and the notes of two incidents.
- ``delivery/``: GitHub (repository, Actions runs, pull requests and their reviews) and Jira
  (search with changelog) answers that `pilot delivery import` reads for the delivery signals.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SAMPLE_PROGRAM_ID = "payments-migration"
SAMPLE_TIMEZONE = ZoneInfo("America/Los_Angeles")
# The demo date the sample is written against: late afternoon in the program's time zone.
SAMPLE_NOW = datetime(2026, 11, 20, 17, 0, tzinfo=SAMPLE_TIMEZONE)


def sample_dir() -> Path:
    """The folder that holds the sample program and its transcripts, tickets and incidents."""
    return Path(__file__).resolve().parent


def sample_program_path() -> Path:
    return sample_dir() / "program.yaml"


def transcripts_dir() -> Path:
    return sample_dir() / "transcripts"


def tickets_dir() -> Path:
    return sample_dir() / "tickets"


def incidents_dir() -> Path:
    return sample_dir() / "incidents"


def delivery_dir() -> Path:
    return sample_dir() / "delivery"
