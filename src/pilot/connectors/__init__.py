"""Connectors: pull documents from files, Jira, GitHub, PagerDuty and program files into domain models."""
