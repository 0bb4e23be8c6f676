"""When the next attempt happens: the retry schedule with jitter, or the endpoint's Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def next_delay(schedule: list[float], attempts_done: int, jitter: float) -> float | None:
    """Seconds until the next attempt after `attempts_done` attempts, None when exhausted."""
    if attempts_done >= len(schedule):
        return None
    base = schedule[attempts_done]
    return max(0.0, base * (1 + random.uniform(-jitter, jitter)))


def parse_retry_after(value: str | None, cap: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), cap)
