"""Quality evaluations on public data (`pilot eval ...`)."""
