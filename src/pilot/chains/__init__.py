"""Chains: turn documents into drafts with an LLM or the offline engine (no I/O of record)."""
