"""Login throttling rules: backoff after a few failures, then a temporary lock.

Two keys are counted for every failed login: the account (tenant slug + email, whether or
not it exists, so the answer tells nothing) and the source address. The counters live in
`identity.login_throttles` (shared by every identity replica) and reset after a quiet
window. While a key is held back, an attempt is refused with 429 and `Retry-After`
without checking the password, so even the right password waits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from libs.common.errors import RateLimited
from services.identity.config import Settings
from services.identity.models import LoginThrottle


@dataclass(frozen=True)
class Limits:
    backoff_after: int
    lock_after: int
    max_backoff_seconds: int
    lock_seconds: int
    window_seconds: int


def account_limits(settings: Settings) -> Limits:
    return Limits(
        settings.login_backoff_after,
        settings.login_lock_after,
        settings.login_max_backoff_seconds,
        settings.login_lock_seconds,
        settings.login_window_seconds,
    )


def address_limits(settings: Settings) -> Limits:
    return Limits(
        settings.login_ip_backoff_after,
        settings.login_ip_lock_after,
        settings.login_max_backoff_seconds,
        settings.login_lock_seconds,
        settings.login_window_seconds,
    )


def limits_for(
    settings: Settings, acct_key: str, addr_key: str, source: str
) -> list[tuple[str, Limits]]:
    """The keys one login attempt counts against, with their limits."""
    out = [(acct_key, account_limits(settings))]
    if source not in settings.login_ip_exempt:
        out.append((addr_key, address_limits(settings)))
    return out


def account_key(tenant_slug: str, email: str) -> str:
    return f"acct:{tenant_slug.lower()}:{email.lower()}"


def address_key(address: str) -> str:
    return f"ip:{address}"


def held_until(row: LoginThrottle | None, limits: Limits, now: datetime) -> datetime | None:
    """When the key may try again, or None when it may try now."""
    if row is None or now - row.last_failure_at > timedelta(seconds=limits.window_seconds):
        return None
    if row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    if row.failures >= limits.backoff_after:
        delay = min(2 ** (row.failures - limits.backoff_after + 1), limits.max_backoff_seconds)
        until = row.last_failure_at + timedelta(seconds=delay)
        if until > now:
            return until
    return None


class LoginThrottled(RateLimited):
    code = "login_throttled"


def throttled(until: datetime, now: datetime, *, locked: bool) -> LoginThrottled:
    wait = max(1, math.ceil((until - now).total_seconds()))
    what = "locked for a while" if locked else "held back"
    return LoginThrottled(
        f"Too many failed sign-ins: this account or address is {what}; retry in {wait} s",
        headers={"Retry-After": str(wait)},
        extra={"retry_after": wait},
    )
