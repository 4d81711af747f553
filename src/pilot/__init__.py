"""pilot: program intelligence for engineering program managers."""

__version__ = "0.1.0"
