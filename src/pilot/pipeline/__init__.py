"""Use cases composed from connectors, store, chains, rules and review. `api` and `cli` call these."""
