"""Mock servers of spec versions: owned by the `pengine` helper (services/partner/mocks).

Declare the tables here (`__all__` lists the classes; models/__init__ star-imports it) and
their migration in migrations/versions/2026_11_21_2301-0002_mocks.py."""

from __future__ import annotations

__all__: list[str] = []
