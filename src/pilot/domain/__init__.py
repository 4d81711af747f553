"""Pydantic contracts shared by every layer. Imports no other pilot module."""
