"""Shared text parsing below both chains and rules: due-date phrases said in meetings.

Pure functions of their arguments; imports only `pilot.domain`.
"""
