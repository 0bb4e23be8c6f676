"""Operator provisioning from industry templates: idempotent, audited, welcome mail queued."""

from __future__ import annotations

import asyncpg
import httpx

from tests.identity.conftest import unique
from tools.stack import Stack


async def test_register_is_idempotent_on_external_id(
    identity: httpx.AsyncClient, operator_admin: dict[str, str], paco_admin: dict[str, str],
    stack: Stack, seed,
) -> None:
    slug = unique("acme")
    body = {"name": "Acme Electronics", "slug": slug, "plan": "growth", "industry": "electronics",
            "external_customer_id": f"cus_{slug}", "owner_email": f"owner@{slug}.example",
            "owner_name": "Acme Owner"}
    first = await identity.post("/tenants/register", headers=operator_admin, json=body)
    assert first.status_code == 201, first.text
    second = await identity.post("/tenants/register", headers=operator_admin, json=body)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()

    reg = first.json()
    assert reg["tenant"]["kind"] == "provider"
    assert reg["tenant"]["parent_id"] == seed.data["tenants"]["pack-polish"]
    assert "TEST_ENGINEER" in reg["roles"] and "ADMIN" in reg["roles"]
    assert "mrp" in reg["tenant"]["features"]
    assert reg["tenant"]["defaults"]["currency"] == "USD"
    assert reg["owner"]["roles"][0]["role"] == "ADMIN"
    assert reg["owner"]["status"] == "invited"

    listed = (await identity.get("/tenants", headers=operator_admin,
                                 params={"slug": slug})).json()["items"]
    assert len(listed) == 1

    steps = (await identity.get("/audit-events", headers=operator_admin,
                                params={"limit": 50})).json()["items"]
    mine = [e["action"] for e in steps if e["target"] == f"tenant:{reg['tenant']['id']}"]
    assert {"provisioning.tenant_created", "provisioning.roles_seeded",
            "provisioning.owner_created", "provisioning.welcome_queued"} <= set(mine)
    assert len(mine) == 4  # the second call recorded nothing

    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        rows = await conn.fetch("SELECT type, data::text AS data FROM identity.outbox "
                                "WHERE tenant_id = $1", __import__("uuid").UUID(reg["tenant"]["id"]))
        n_tenants = await conn.fetchval("SELECT count(*) FROM identity.tenants "
                                        "WHERE external_customer_id = $1", f"cus_{slug}")
    finally:
        await conn.close()
    assert n_tenants == 1
    assert [r["type"] for r in rows] == ["identity.mail.welcome"]
    assert "accept_url" in rows[0]["data"] and "password" not in rows[0]["data"]

    # only the operator provisions
    resp = await identity.post("/tenants/register", headers=paco_admin,
                               json={**body, "external_customer_id": "cus_x", "slug": unique("x")})
    assert resp.status_code == 403
    resp = await identity.post("/tenants/register", headers=operator_admin,
                               json={**body, "external_customer_id": unique("cus"),
                                     "slug": unique("y"), "industry": "bakery"})
    assert resp.status_code == 422
    assert resp.json()["code"] == "unknown_industry"
