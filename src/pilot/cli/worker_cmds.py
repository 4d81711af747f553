"""`pilot worker`: run background jobs in this process (any number of them, on any machine)."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from pilot.cli.common import console, handle_errors, pilot_session
from pilot.pipeline.heap import startup_heap_frozen


def register(app: typer.Typer) -> None:
    @app.command("worker")
    @handle_errors
    def worker_cmd(
        concurrency: Annotated[int, typer.Option(min=1, max=32, help="Jobs run at once by this worker.")] = 1,
        grace: Annotated[
            float,
            typer.Option(help="Seconds a running job gets after SIGTERM before it goes back to the queue."),
        ] = 10.0,
    ) -> None:
        """Run jobs until SIGTERM/SIGINT: with PILOT_QUEUE=procrastinate from the PostgreSQL queue,
        otherwise from the jobs table (the embedded default's queue)."""
        with pilot_session() as ctx:
            ctx.actor = "worker"
            with startup_heap_frozen():  # the worker's heap after start-up: see pipeline/heap
                if ctx.settings.queue == "procrastinate":
                    from pilot.pipeline.queue_pg import run_worker

                    console.print(
                        f"pilot worker: procrastinate queue, concurrency {concurrency}", highlight=False
                    )
                    run_worker(ctx, concurrency=concurrency, grace_s=grace)
                    return
                from pilot.pipeline.jobs import JobPolicy, LocalWorkers

                stop = threading.Event()
                for signum in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(signum, lambda *_: stop.set())
                workers = LocalWorkers(ctx, threads=concurrency, policy=JobPolicy.from_settings(ctx.settings))
                console.print(
                    f"pilot worker {workers.name}: jobs table queue, {concurrency} thread(s)", highlight=False
                )
                stop.wait()
                workers.shutdown(grace)
