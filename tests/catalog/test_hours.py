"""Business hours for SLA clocks (pure functions, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from services.catalog.coverage.hours import BusinessHours, add_business_minutes

PARIS = BusinessHours(
    timezone="Europe/Paris", start=time(9), end=time(18), holidays=[date(2026, 12, 25)]
)


def test_around_the_clock_without_hours() -> None:
    start = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    assert add_business_minutes(start, 60, None) == datetime(2026, 11, 22, 0, 30, tzinfo=UTC)


def test_inside_one_day() -> None:
    # Tuesday 10:00 Paris (09:00 UTC) + 2 h = 12:00 Paris
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert add_business_minutes(start, 120, PARIS) == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def test_friday_evening_rolls_over_the_weekend() -> None:
    # Friday 17:00 Paris, 2 h needed: 1 h on Friday, 1 h from Monday 09:00
    start = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert add_business_minutes(start, 120, PARIS) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_holidays_and_nights_do_not_count() -> None:
    # Thursday 24 Dec 20:00 Paris: closed; Friday 25 a holiday, then the weekend: Monday 28
    start = datetime(2026, 12, 24, 19, 0, tzinfo=UTC)
    assert add_business_minutes(start, 30, PARIS) == datetime(2026, 12, 28, 8, 30, tzinfo=UTC)


def test_daylight_saving_change() -> None:
    # Saturday 28 March 2026 -> Monday 30 March (CEST, UTC+2): 09:00 local is 07:00 UTC
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert add_business_minutes(start, 60, PARIS) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_bad_hours_are_refused() -> None:
    with pytest.raises(ValueError):
        BusinessHours(timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        BusinessHours(weekdays=[7])
