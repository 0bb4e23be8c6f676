"""Golden test runs, traces and the assistant's conversations: owned by the `pruns` helper
(services/partner/runs, traces, assistant).

Declare the tables here (`__all__` lists the classes; models/__init__ star-imports it) and
their migration in migrations/versions/2026_11_21_2302-0003_runs.py."""

from __future__ import annotations

__all__: list[str] = []
