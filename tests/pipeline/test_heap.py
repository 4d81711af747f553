"""The server's start-up heap is frozen while it serves (pipeline/heap.py): full garbage
collections then walk only what requests allocated, not the whole process (issue 9: /health
stalled 0.7-5 s in full passes over a large heap while a pasted transcript was processed)."""

from __future__ import annotations

import gc
from typing import Any

from fastapi.testclient import TestClient

from pilot.api.app import create_app
from pilot.pipeline.heap import (
    LARGE_INPUT_BYTES,
    collection_paused_for,
    full_passes_paused,
    resume_collection,
    startup_heap_frozen,
)


class Node:
    """A cyclic object the collector tracks."""

    def __init__(self) -> None:
        self.me = self


def test_the_heap_stays_frozen_until_the_last_block_ends() -> None:
    assert gc.get_freeze_count() == 0
    before = Node()
    with startup_heap_frozen():
        assert gc.get_freeze_count() > 0
        assert not any(o is before for o in gc.get_objects())  # a full pass does not walk it
        with startup_heap_frozen():  # a second app in the same process
            pass
        assert gc.get_freeze_count() > 0  # the first one still serves
    assert gc.get_freeze_count() == 0
    assert any(o is before for o in gc.get_objects())  # collectable again


def test_the_app_freezes_its_start_up_heap_while_it_serves(pilot_ctx: Any) -> None:
    with TestClient(create_app(context=pilot_ctx)) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_full_passes_wait_while_a_large_input_is_worked_through_and_resume_after() -> None:
    before = gc.get_threshold()
    with collection_paused_for(LARGE_INPUT_BYTES - 1):  # an ordinary meeting: nothing changes
        assert not full_passes_paused()
    with collection_paused_for(LARGE_INPUT_BYTES):
        assert full_passes_paused()
        assert gc.isenabled() and gc.get_threshold()[:2] == before[:2]  # young passes go on
        with collection_paused_for(10 * LARGE_INPUT_BYTES):  # a second large step in another thread
            assert full_passes_paused()
        assert full_passes_paused()  # the first one is still working
    assert gc.get_threshold() == before


def test_young_objects_are_still_collected_while_full_passes_wait() -> None:
    with collection_paused_for(LARGE_INPUT_BYTES):
        for _ in range(50_000):
            Node()  # cyclic garbage: only the collector frees it
        assert gc.get_count()[0] < gc.get_threshold()[0] + 1  # the youngest generation was swept


def test_a_caller_that_turned_collection_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collection_paused_for(LARGE_INPUT_BYTES):
            assert full_passes_paused()
        assert not gc.isenabled() and not full_passes_paused()
    finally:
        gc.enable()


def test_collection_resumes_when_the_step_fails() -> None:
    before = gc.get_threshold()
    try:
        with collection_paused_for(LARGE_INPUT_BYTES):
            raise ValueError("the step failed")
    except ValueError:
        pass
    assert gc.get_threshold() == before


def test_a_shutdown_takes_the_pause_back_from_a_step_that_did_not_stop() -> None:
    step = collection_paused_for(LARGE_INPUT_BYTES)
    step.__enter__()  # a job thread still working when its worker shut down
    assert full_passes_paused()
    resume_collection()
    assert not full_passes_paused()
    with collection_paused_for(LARGE_INPUT_BYTES):  # a later step pauses and resumes as usual
        step.__exit__(None, None, None)  # the old step ends meanwhile: it no longer counts
        assert full_passes_paused()
    assert not full_passes_paused()
