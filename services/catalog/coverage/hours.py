"""Business hours: SLA clocks run only while the service desk is open."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator


class BusinessHours(BaseModel):
    timezone: str = Field(default="UTC", examples=["Europe/Paris"])
    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 = Monday")
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: list[date] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (KeyError, ValueError):
            raise ValueError(f"unknown time zone {v}") from None
        return v

    @field_validator("weekdays")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if not v or any(d < 0 or d > 6 for d in v):
            raise ValueError("weekdays are 0 (Monday) to 6, at least one")
        return sorted(set(v))


def add_business_minutes(start: datetime, minutes: int, hours: BusinessHours | None) -> datetime:
    """The moment `minutes` of open time after `start` (24/7 when `hours` is None)."""
    if hours is None:
        return start + timedelta(minutes=minutes)
    if hours.end <= hours.start:
        raise ValueError("business hours end before they start")
    tz = ZoneInfo(hours.timezone)
    t = start.astimezone(tz)
    remaining = timedelta(minutes=minutes)
    holidays = set(hours.holidays)
    for _ in range(3700):  # ten years of days: a guard, never reached with sane hours
        day = t.date()
        if day.weekday() in hours.weekdays and day not in holidays:
            opens = datetime.combine(day, hours.start, tz)
            closes = datetime.combine(day, hours.end, tz)
            if t < opens:
                t = opens
            if t < closes:
                if remaining <= closes - t:
                    return (t + remaining).astimezone(UTC)
                remaining -= closes - t
        t = datetime.combine(day + timedelta(days=1), time(0), tz)
    raise ValueError("business hours never open")
