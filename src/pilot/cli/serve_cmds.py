"""`pilot serve` and `pilot demo`."""

from __future__ import annotations

from typing import Annotated

import typer

from pilot.cli.anomaly_cmds import print_findings, print_kpis
from pilot.cli.common import console, emit_json, handle_errors, parse_when, pilot_session

HostOpt = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOpt = Annotated[int, typer.Option(help="Port to listen on.")]


def _serve(host: str, port: int, now: str | None = None) -> None:
    import uvicorn

    from pilot.api.app import create_app
    from pilot.pipeline.context import fixed_clock

    when = parse_when(now)
    app = create_app(clock=fixed_clock(when) if when else None)
    uvicorn.run(app, host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @handle_errors
    def serve_cmd(host: HostOpt = "127.0.0.1", port: PortOpt = 8000) -> None:
        """Serve the HTTP API (OpenAPI docs at /docs) and the web pages."""
        _serve(host, port)

    @app.command("demo")
    @handle_errors
    def demo_cmd(
        serve: Annotated[
            bool, typer.Option("--serve/--no-serve", help="Serve the app after the demo.")
        ] = True,
        host: HostOpt = "127.0.0.1",
        port: PortOpt = 8000,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    ) -> None:
        """Load the bundled sample program, print its anomalies and KPIs, then serve."""
        from pilot.pipeline.demo import run_demo
        from pilot.sample import SAMPLE_NOW

        with pilot_session(SAMPLE_NOW) as ctx:
            result = run_demo(ctx)
        if as_json:
            emit_json(result)
        else:
            console.rule(f"[bold]{result.program_name}[/] (as of {SAMPLE_NOW:%Y-%m-%d %H:%M %Z})")
            console.print(
                f"Loaded program [bold]{result.program_id}[/]: "
                + ", ".join(f"{n} {k}" for k, n in result.record_counts.items() if n)
            )
            print_findings(result.scan.findings)
            print_kpis(result.scan.kpis)
            console.print(
                f"{len(result.scan.findings)} findings, {len(result.scan.kpis)} KPIs; "
                f"{result.documents_indexed} documents searchable; {result.drafts_waiting} drafts in the review queue. "
                f"Data directory: {ctx.settings.data_dir.resolve()}",
                highlight=False,
            )
            console.rule("Log in")
            console.print(
                f"Admin token for {result.program_id} (shown once): [bold]{result.admin_token}[/]\n"
                f"Web: http://{host}:{port}/login   API: curl -H 'Authorization: Bearer {result.admin_token}' "
                f"http://{host}:{port}/programs/{result.program_id}/anomalies",
                highlight=False,
                soft_wrap=True,
            )
        if serve:
            console.print(f"Serving on http://{host}:{port} (API docs at /docs). Ctrl+C to stop.")
            _serve(host, port, SAMPLE_NOW.isoformat())
