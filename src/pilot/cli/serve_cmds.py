"""`pilot serve` and `pilot demo`."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from pilot.cli.common import console, emit_json, handle_errors, parse_when, pilot_session
from pilot.cli.findings_view import print_findings, print_kpis, print_summary

HostOpt = Annotated[str, typer.Option(help="Interface to listen on.")]
PortOpt = Annotated[int, typer.Option(help="Port to listen on.")]


def _serve(host: str, port: int, now: str | None = None) -> None:
    import uvicorn

    from pilot.api.app import create_app
    from pilot.pipeline.context import fixed_clock

    # pilot's own loggers (5xx causes with their tracebacks, job recovery) go to the server log
    # beside uvicorn's lines; uvicorn configures only its own loggers.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
        from pilot.pipeline.demo import DEMO_NOW, run_demo

        with pilot_session(DEMO_NOW) as ctx:
            result = run_demo(ctx)
        if as_json:
            emit_json(result)
        else:
            console.rule(f"[bold]{result.program_name}[/] (as of {DEMO_NOW:%Y-%m-%d %H:%M %Z})")
            console.print(
                f"Loaded program [bold]{result.program_id}[/]: "
                + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in result.record_counts.items() if n)
            )
            console.print()
            print_summary(console, result.program_name, result.scan.findings, result.scan.kpis)
            print_findings(console, result.scan.findings)
            print_kpis(console, result.scan.kpis)
            console.print()
            console.print(
                f"{result.documents_indexed} documents searchable; {result.drafts_waiting} drafts in the review "
                f"queue. Data directory: {ctx.settings.data_dir.resolve()}",
                highlight=False,
            )
            console.rule("Log in")
            base = f"http://{host}:{port}"
            when = result.admin_token_expires_at
            expiry = f"{when:%Y-%m-%d %H:%M} UTC" if when else "never"
            # Short lines that copy whole: the token alone, then the API call through a variable.
            console.print(
                f"Admin token for {result.program_id} (shown once):\n  [bold]{result.admin_token}[/]\n"
                f"  expires {expiry}; the previous demo's token is revoked\n"
                f"Web: {base}/login\n"
                f"API: TOKEN={result.admin_token}\n"
                f'     curl -H "Authorization: Bearer $TOKEN" \\\n'
                f"       {base}/programs/{result.program_id}/anomalies",
                highlight=False,
                overflow="ignore",
                crop=False,
            )
        if serve:
            console.print(f"Serving on http://{host}:{port} (API docs at /docs). Ctrl+C to stop.")
            _serve(host, port, DEMO_NOW.isoformat())
