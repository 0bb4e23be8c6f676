"""Break-glass across real processes: production and quality honour an elevation's scopes
only while identity says it is active (revocation and expiry hold before the token
expires), and every step is audited."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx

from libs.common.settings import ServiceSettings
from tests.fixtures.users import Tokens
from tests.identity.conftest import audit_of, bearer, elevate, new_user
from tools.seed import DEMO_PASSWORD

# what services trust an "active" answer for (the stack runs with the default)
TTL = ServiceSettings().elevation_status_ttl_seconds
ELEVATED = {"/v1/production/mrp/plan", "/v1/quality/checklists"}


async def _statuses(gateway: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, int]:
    return {path: (await gateway.get(path, headers=headers)).status_code for path in ELEVATED}


async def _until_refused(
    gateway: httpx.AsyncClient, headers: dict[str, str], status: int = 403
) -> float:
    """Seconds until every elevated route refuses the token (at most TTL + 5)."""
    started = time.monotonic()
    while time.monotonic() - started < TTL + 5:
        if set((await _statuses(gateway, headers)).values()) == {status}:
            return time.monotonic() - started
        await asyncio.sleep(0.25)
    raise AssertionError(f"still honoured after {TTL + 5} s: {await _statuses(gateway, headers)}")


async def test_services_honour_a_revocation_before_the_token_expires(
    identity: httpx.AsyncClient, gateway: httpx.AsyncClient, tokens: Tokens
) -> None:
    operator, admin = tokens.headers("operator"), tokens.headers("admin")
    assert await _statuses(gateway, operator) == dict.fromkeys(ELEVATED, 403)

    eid, token = await elevate(identity, operator, admin, ["mrp:read", "inspections:read"])
    elevated = bearer(token)
    assert await _statuses(gateway, elevated) == dict.fromkeys(ELEVATED, 200)
    # the token's own elevation, and no other, is what it may ask about
    resp = await identity.get(f"/elevations/{eid}/status", headers=elevated)
    assert resp.status_code == 200 and resp.json()["status"] == "active"
    resp = await identity.get(f"/elevations/{eid}/status", headers=admin)
    assert resp.status_code == 404

    resp = await identity.post(f"/elevations/{eid}/revoke", headers=admin)
    assert resp.status_code == 200 and resp.json()["status"] == "revoked"
    assert await _until_refused(gateway, elevated) <= TTL + 1
    resp = await gateway.get("/v1/production/mrp/plan", headers=elevated)
    assert resp.json()["code"] == "missing_permission"
    # the same token keeps the operator's own permissions
    assert (await gateway.get("/v1/production/plants", headers=elevated)).status_code == 200
    resp = await identity.get(f"/elevations/{eid}/status", headers=elevated)
    assert resp.status_code == 200 and resp.json()["status"] == "revoked"

    steps = {
        action: [
            a
            for a in await audit_of(identity, admin, action=action)
            if a["details"].get("elevation_id") == eid
        ]
        for action in (
            "elevation.requested",
            "elevation.approved",
            "elevation.started",
            "elevation.revoked",
        )
    }
    assert {k: len(v) for k, v in steps.items()} == dict.fromkeys(steps, 1)


async def test_an_expired_elevation_grants_nothing_and_its_end_is_audited(
    identity: httpx.AsyncClient,
    gateway: httpx.AsyncClient,
    tokens: Tokens,
    db: asyncpg.Connection,
) -> None:
    operator, admin = tokens.headers("operator"), tokens.headers("admin")
    eid, token = await elevate(identity, operator, admin, ["mrp:read", "inspections:read"])
    elevated = bearer(token)
    assert await _statuses(gateway, elevated) == dict.fromkeys(ELEVATED, 200)
    # time passes: the elevation's end is now behind it (the token's `elev.exp` is not)
    await db.execute(
        "UPDATE identity.elevations SET expires_at = now() - interval '1 second' WHERE id = $1",
        uuid.UUID(eid),
    )
    assert await _until_refused(gateway, elevated) <= TTL + 1
    assert (await gateway.get("/v1/production/plants", headers=elevated)).status_code == 200

    resp = await identity.get(f"/elevations/{eid}", headers=admin)
    assert resp.status_code == 200 and resp.json()["status"] == "ended"
    ended = [
        a
        for a in await audit_of(identity, admin, action="elevation.ended")
        if a["details"].get("elevation_id") == eid
    ]
    assert len(ended) == 1
    assert ended[0]["actor"] == "system:expiry" and ended[0]["details"]["reason"] == "expiry"
    resp = await identity.post(f"/elevations/{eid}/revoke", headers=admin)
    assert resp.status_code == 409 and resp.json()["code"] == "elevation_over"


async def test_an_elevation_is_started_only_with_the_password_by_its_requester(
    identity: httpx.AsyncClient, tokens: Tokens
) -> None:
    admin = tokens.headers("admin")
    _, other_admin = await new_user(identity, admin, ["ADMIN"])
    resp = await identity.post(
        "/elevations",
        headers=tokens.headers("operator"),
        json={"scopes": ["mrp:read"], "reason": "night shift needs the plan"},
    )
    eid = resp.json()["id"]
    resp = await identity.post(f"/elevations/{eid}/approve", headers=other_admin)
    assert resp.status_code == 200
    # the approver holds a token too, but only the requester starts it, with its password
    resp = await identity.post(
        f"/elevations/{eid}/start", headers=other_admin, json={"password": DEMO_PASSWORD}
    )
    assert resp.status_code == 403 and resp.json()["code"] == "not_the_requester"
    resp = await identity.post(
        f"/elevations/{eid}/start", headers=tokens.headers("operator"), json={"password": "x"}
    )
    assert resp.status_code == 422 and resp.json()["code"] == "wrong_password"
