"""Break-glass: ask, another admin approves (never the requester), re-authenticate, use;
revocation and expiry end it; every step audited."""

from __future__ import annotations

import time
import uuid

import httpx
from jose import jwt

from libs.common.auth import Principal, Space
from tests.identity.conftest import bearer, token_for, unique
from tools.seed import DEMO_PASSWORD


async def _second_admin(identity: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    email = f"{unique('admin2')}@paco.example"
    resp = await identity.post(
        "/users",
        headers=admin,
        json={"email": email, "name": "A2", "roles": ["ADMIN"], "password": DEMO_PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    return bearer(await token_for(identity, email, "paco"))


async def test_break_glass_is_approved_by_another_admin_and_needs_the_password(
    identity: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    ops = bearer(await token_for(identity, "ops@paco.example", "paco"))
    assert (await identity.get("/audit-events", headers=ops)).status_code == 403

    resp = await identity.post(
        "/elevations",
        headers=ops,
        json={"scopes": ["audit:read"], "reason": "incident 42: who changed the roles?"},
    )
    assert resp.status_code == 201, resp.text
    elevation = resp.json()
    assert elevation["status"] == "pending" and elevation["duration_seconds"] == 3600
    eid = elevation["id"]

    # the requester cannot approve (it lacks the permission); an admin never its own
    assert (await identity.post(f"/elevations/{eid}/approve", headers=ops)).status_code == 403
    resp = await identity.post(
        "/elevations",
        headers=paco_admin,
        json={"scopes": ["audit:read"], "reason": "an admin asking for itself"},
    )
    own = resp.json()["id"]
    resp = await identity.post(f"/elevations/{own}/approve", headers=paco_admin)
    assert resp.status_code == 403 and resp.json()["code"] == "self_approval"

    # not started before approval
    resp = await identity.post(
        f"/elevations/{eid}/start", headers=ops, json={"password": DEMO_PASSWORD}
    )
    assert resp.status_code == 409 and resp.json()["code"] == "elevation_not_approved"
    resp = await identity.post(f"/elevations/{eid}/approve", headers=paco_admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "approved"

    resp = await identity.post(
        f"/elevations/{eid}/start", headers=ops, json={"password": "not-the-password"}
    )
    assert resp.status_code == 422 and resp.json()["code"] == "wrong_password"
    resp = await identity.post(
        f"/elevations/{eid}/start", headers=ops, json={"password": DEMO_PASSWORD}
    )
    assert resp.status_code == 200, resp.text
    token = resp.json()["access_token"]
    elev = jwt.get_unverified_claims(token)["elev"]
    assert elev["id"] == eid and elev["scopes"] == ["audit:read"]
    assert time.time() + 3500 < elev["exp"] <= time.time() + 3600
    assert resp.json()["expires_in"] <= 900 and resp.json().get("refresh_token") is None
    assert (await identity.get("/audit-events", headers=bearer(token))).status_code == 200

    resp = await identity.post(f"/elevations/{eid}/revoke", headers=paco_admin)
    assert resp.status_code == 200 and resp.json()["status"] == "revoked"
    resp = await identity.post(
        f"/elevations/{eid}/start", headers=ops, json={"password": DEMO_PASSWORD}
    )
    assert resp.status_code == 409

    audit = (await identity.get("/audit-events", headers=paco_admin, params={"limit": 200})).json()[
        "items"
    ]
    steps = [a["action"] for a in audit if a["details"].get("elevation_id") == eid]
    assert set(steps) == {
        "elevation.requested",
        "elevation.approved",
        "elevation.start_failed",
        "elevation.started",
        "elevation.used",
        "elevation.revoked",
    }
    used = [a for a in audit if a["action"] == "elevation.used"]
    used = [a for a in used if a["details"]["elevation_id"] == eid]
    assert [(u["details"]["permissions"], u["details"]["path"]) for u in used] == [
        (["audit:read"], "/audit-events")
    ]


async def test_a_denied_elevation_never_starts(
    identity: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    ops = bearer(await token_for(identity, "ops@paco.example", "paco"))
    eid = (
        await identity.post(
            "/elevations",
            headers=ops,
            json={
                "scopes": ["users:manage"],
                "reason": "I would like more power",
                "duration_minutes": 5,
            },
        )
    ).json()["id"]
    other = await _second_admin(identity, paco_admin)
    resp = await identity.post(f"/elevations/{eid}/deny", headers=other)
    assert resp.status_code == 200 and resp.json()["status"] == "denied"
    resp = await identity.post(f"/elevations/{eid}/approve", headers=other)
    assert resp.status_code == 409 and resp.json()["code"] == "elevation_not_pending"
    resp = await identity.post(
        f"/elevations/{eid}/start", headers=ops, json={"password": DEMO_PASSWORD}
    )
    assert resp.status_code == 409
    # longer than 8 hours is refused
    resp = await identity.post(
        "/elevations",
        headers=ops,
        json={"scopes": ["users:manage"], "reason": "a whole day please", "duration_minutes": 481},
    )
    assert resp.status_code == 422


def test_the_elevation_ends_by_itself() -> None:
    def principal(exp: float) -> Principal:
        return Principal(
            subject=str(uuid.uuid4()),
            tenant_id=uuid.uuid4(),
            space=Space.PROVIDER,
            roles=frozenset(),
            permissions=frozenset({"orders:read"}),
            token_id="t",
            expires_at=int(time.time()) + 600,
            elevation={"id": "e", "scopes": ["audit:read"], "exp": exp},
        )

    assert principal(time.time() + 60).has_permission("audit:read")
    assert not principal(time.time() - 1).has_permission("audit:read")
