"""Traces of a partner project's HTTP exchanges (mock calls, test runs)."""
