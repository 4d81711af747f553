"""FastAPI shell over `pilot.pipeline`; the only place errors become HTTP answers."""
