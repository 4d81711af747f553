"""The demo job: the bundled sample program loaded and scanned, as a new user first sees pilot."""

from __future__ import annotations

from pydantic import BaseModel

from pilot.pipeline.anomalies import ScanReport, scan_program
from pilot.pipeline.context import Pilot
from pilot.pipeline.programs import get_program, import_program_file
from pilot.sample import sample_program_path


class DemoResult(BaseModel):
    program_id: str
    program_name: str
    record_counts: dict[str, int]
    scan: ScanReport


def run_demo(pilot: Pilot) -> DemoResult:
    summary = import_program_file(pilot, sample_program_path())
    data = get_program(pilot, summary.program_id)
    counts = {
        name: len(getattr(data, name))
        for name in ("teams", "people", "milestones", "dependencies", "raid", "decisions", "action_items")
    }
    report = scan_program(pilot, summary.program_id)
    return DemoResult(
        program_id=data.program.id, program_name=data.program.name, record_counts=counts, scan=report
    )
