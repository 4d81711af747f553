"""The server's start-up heap kept out of the garbage collector's full passes.

CPython's full (generation 2) collection walks every tracked object while holding the GIL. In a
long-running server that heap is mostly what start-up built (modules, models, metadata, caches),
and a request that allocates many objects (a 10 MB pasted transcript is ~200k turns) triggers full
passes over all of it: measured 0.7-5 s pauses in which no other thread, `/health` included, ran.
Freezing the heap after start-up moves it to the permanent generation, so full passes walk only
what was allocated since. Unfreezing at shutdown hands it back, so an embedding process (tests, a
notebook) frees it as usual."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_holders = 0  # blocks in progress: the heap stays frozen until the last one ends (apps in one process)
_holders_lock = threading.Lock()


@contextmanager
def startup_heap_frozen() -> Iterator[None]:
    """Freeze what exists now for the duration of the block (a server's or worker's life)."""
    global _holders
    with _holders_lock:
        _holders += 1
        gc.freeze()
    try:
        yield
    finally:
        with _holders_lock:
            _holders -= 1
            if _holders == 0:
                gc.unfreeze()


# A document this large is read, extracted or indexed with the collector's full passes held off
# (about 20 hours of meeting; a one-hour transcript is ~60 KB). Its ~200k turns are live objects
# for the whole step, so each full pass walks them all for nothing: measured 0.2-0.75 s pauses,
# one after another, on a 10 MB paste. Young-generation passes go on (they walk only what was
# allocated since the last one, a few thousand objects): switching the collector off altogether
# left every object of the step in the youngest generation, and the first pass after it walked
# them all at once (0.23 s, on whatever thread allocated next: the event loop's, measured).
LARGE_INPUT_BYTES = 1_000_000
_NO_FULL_PASSES = 1 << 30  # the oldest generation's threshold while paused: never reached

_pausers = 0
_threshold_after: tuple[int, int, int] | None = None  # what the last step to end puts back
_epoch = 0  # bumped when a shutdown takes the pause back from steps that did not stop
_pausers_lock = threading.Lock()


def full_passes_paused() -> bool:
    return gc.get_threshold()[2] >= _NO_FULL_PASSES


@contextmanager
def collection_paused_for(size_bytes: int) -> Iterator[None]:
    """Hold off automatic full collections while a step works through `size_bytes` of input, when
    that is large. Steps in several threads overlap: full passes resume when the last one ends."""
    global _pausers, _threshold_after
    if size_bytes < LARGE_INPUT_BYTES:
        yield
        return
    with _pausers_lock:
        if _pausers == 0:
            young, middle, old = gc.get_threshold()
            _threshold_after = (young, middle, old)
            gc.set_threshold(young, middle, _NO_FULL_PASSES)
        _pausers += 1
        epoch = _epoch
    try:
        yield
    finally:
        with _pausers_lock:
            if epoch == _epoch:
                _pausers -= 1
                if _pausers == 0:
                    _restore_threshold()


def _restore_threshold() -> None:
    global _threshold_after
    if _threshold_after is not None and full_passes_paused():  # nobody else changed it meanwhile
        gc.set_threshold(*_threshold_after)
    _threshold_after = None


def resume_collection() -> None:
    """Full passes resume now, whatever steps are still running: a worker shutting down hands its
    unfinished jobs back, and a job thread it could not stop must not keep them off for the rest
    of the process (an embedding process such as a test session goes on)."""
    global _pausers, _epoch
    with _pausers_lock:
        if _pausers:
            _restore_threshold()
        _pausers = 0
        _epoch += 1
