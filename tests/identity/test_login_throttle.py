"""Guessing passwords: backoff per account and per source address, then a lock; 429
problem+json with Retry-After; audited."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from libs.common.db import Database
from services.identity.auth import repository as repo
from services.identity.auth.throttle import Limits, held_until
from services.identity.models import LoginThrottle
from tests.identity.conftest import unique
from tools.seed import DEMO_PASSWORD
from tools.stack import Stack

_addresses = (f"198.51.100.{i}" for i in itertools.count(1))


def _from(address: str) -> dict[str, str]:
    # identity trusts the X-Forwarded-For of its loopback peers (the gateway)
    return {"X-Forwarded-For": address}


async def _new_user(identity: httpx.AsyncClient, admin: dict[str, str]) -> str:
    email = f"{unique('guess')}@paco.example"
    resp = await identity.post(
        "/users",
        headers=admin,
        json={"email": email, "name": "G", "roles": ["VIEWER"], "password": DEMO_PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    return email


async def test_sixty_wrong_passwords_then_the_right_one_waits(
    identity: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    email = await _new_user(identity, paco_admin)
    statuses = []
    for i in range(60):
        # every guess from another address: only the account's counter can stop them
        resp = await identity.post(
            "/auth/login",
            headers=_from(f"203.0.113.{i + 1}"),
            json={"email": email, "password": f"wrong-{i}", "tenant": "paco"},
        )
        statuses.append(resp.status_code)
    # five guesses are checked, then each must wait longer (2 s, 4 s, ...): of the 55
    # others, at most a couple come late enough to be checked at all
    assert statuses[:6] == [401] * 5 + [429], statuses
    assert statuses.count(401) <= 8, statuses

    resp = await identity.post(
        "/auth/login",
        headers=_from(next(_addresses)),
        json={"email": email, "password": DEMO_PASSWORD, "tenant": "paco"},
    )
    assert resp.status_code == 429, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["code"] == "login_throttled"
    wait = int(resp.headers["Retry-After"])
    assert 1 <= wait <= 60 and body["retry_after"] == wait

    # backoff, not a ban: after the wait the right password works, and resets the count
    await asyncio.sleep(wait + 0.2)
    resp = await identity.post(
        "/auth/login",
        headers=_from(next(_addresses)),
        json={"email": email, "password": DEMO_PASSWORD, "tenant": "paco"},
    )
    assert resp.status_code == 200, resp.text
    resp = await identity.post(
        "/auth/login",
        headers=_from(next(_addresses)),
        json={"email": email, "password": "wrong-again", "tenant": "paco"},
    )
    assert resp.status_code == 401

    audit = (
        await identity.get(
            "/audit-events", headers=paco_admin, params={"action": "auth.login_throttled"}
        )
    ).json()["items"]
    mine = [a for a in audit if a["actor"] == f"email:{email}"]
    assert mine and mine[0]["details"]["scope"] == "account"


async def test_one_address_guessing_many_accounts_is_held_back(
    identity: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    email = await _new_user(identity, paco_admin)
    address = next(_addresses)
    statuses = []
    for i in range(30):
        resp = await identity.post(
            "/auth/login",
            headers=_from(address),
            json={
                "email": f"{unique('spray')}-{i}@paco.example",
                "password": "x",
                "tenant": "paco",
            },
        )
        statuses.append(resp.status_code)
    assert statuses == [401] * 30
    # the next guess from that address waits, and so does a real user there...
    body = {"email": email, "password": DEMO_PASSWORD, "tenant": "paco"}
    resp = await identity.post("/auth/login", headers=_from(address), json=body)
    assert resp.status_code == 429, resp.text
    assert resp.json()["code"] == "login_throttled" and int(resp.headers["Retry-After"]) >= 1
    # ...while from another address the same account signs in
    resp = await identity.post("/auth/login", headers=_from(next(_addresses)), json=body)
    assert resp.status_code == 200, resp.text


def test_the_rules_back_off_then_lock() -> None:
    limits = Limits(
        backoff_after=5, lock_after=10, max_backoff_seconds=60, lock_seconds=900, window_seconds=900
    )
    now = datetime.now(UTC)

    def row(failures: int, ago: float, locked: datetime | None = None) -> LoginThrottle:
        return LoginThrottle(
            key="k",
            failures=failures,
            last_failure_at=now - timedelta(seconds=ago),
            locked_until=locked,
        )

    assert held_until(None, limits, now) is None
    assert held_until(row(4, 0), limits, now) is None
    assert held_until(row(5, 0), limits, now) == now + timedelta(seconds=2)
    assert held_until(row(8, 0), limits, now) == now + timedelta(seconds=16)
    assert held_until(row(8, 17), limits, now) is None
    locked = now + timedelta(seconds=900)
    assert held_until(row(10, 0, locked), limits, now) == locked
    # a quiet window forgets
    assert held_until(row(10, 901, locked), limits, now) is None


async def test_the_tenth_failure_locks_the_key(stack: Stack) -> None:
    db = Database(stack.service_dsn("identity"), schema="identity", pool_size=1, max_overflow=0)
    key = f"acct:test:{unique('lock')}@paco.example"
    try:
        async with db.transaction(system=True) as s:
            seen = [
                await repo.record_failure(
                    s, key, lock_after=10, lock_seconds=900, window_seconds=900
                )
                for _ in range(10)
            ]
        assert [n for n, _ in seen] == list(range(1, 11))
        assert all(until is None for _, until in seen[:9])
        locked = seen[9][1]
        assert locked is not None and locked > datetime.now(UTC) + timedelta(seconds=890)
        # the table is the login's alone: a tenant transaction sees none of it
        async with db.transaction(uuid.uuid4()) as s:
            assert await repo.throttles(s, [key]) == {}
        async with db.transaction(system=True) as s:
            assert (await repo.throttles(s, [key]))[key].failures == 10
            await repo.clear_throttle(s, key)
    finally:
        await db.dispose()
