"""Typer command line: a thin shell over `pilot.pipeline`."""
