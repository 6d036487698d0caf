"""Acceptance tests in a real Docker engine (a package: its conftest and helpers have names of their own)."""
