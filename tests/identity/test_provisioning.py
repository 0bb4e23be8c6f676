"""Operator provisioning from industry templates: idempotent, audited, welcome mail queued."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import asyncpg
import httpx

from tests.identity.conftest import unique
from tools.seed import SeedContext
from tools.stack import Stack


async def test_register_is_idempotent_on_external_id(
    identity: httpx.AsyncClient,
    operator_admin: dict[str, str],
    paco_admin: dict[str, str],
    stack: Stack,
    seed: SeedContext,
) -> None:
    slug = unique("acme")
    body = {
        "name": "Acme Electronics",
        "slug": slug,
        "plan": "growth",
        "industry": "electronics",
        "external_customer_id": f"cus_{slug}",
        "owner_email": f"owner@{slug}.example",
        "owner_name": "Acme Owner",
    }
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

    listed = (await identity.get("/tenants", headers=operator_admin, params={"slug": slug})).json()[
        "items"
    ]
    assert len(listed) == 1

    steps = (
        await identity.get("/audit-events", headers=operator_admin, params={"limit": 50})
    ).json()["items"]
    mine = [e["action"] for e in steps if e["target"] == f"tenant:{reg['tenant']['id']}"]
    assert {
        "provisioning.tenant_created",
        "provisioning.roles_seeded",
        "provisioning.owner_created",
        "provisioning.welcome_queued",
    } <= set(mine)
    assert len(mine) == 4  # the second call recorded nothing

    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        rows = await conn.fetch(
            "SELECT type, data::text AS data FROM identity.outbox "
            "WHERE tenant_id = $1 OR customer_tenant_id = $1",
            __import__("uuid").UUID(reg["tenant"]["id"]),
        )
        n_tenants = await conn.fetchval(
            "SELECT count(*) FROM identity.tenants WHERE external_customer_id = $1", f"cus_{slug}"
        )
    finally:
        await conn.close()
    assert n_tenants == 1
    assert sorted(r["type"] for r in rows) == ["identity.mail.welcome", "identity.tenant.created"]
    assert all("password" not in r["data"] for r in rows)
    # the tenant event carries the template's defaults, for services that keep a copy
    created = json.loads(next(r["data"] for r in rows if r["type"] == "identity.tenant.created"))
    assert created["industry"] == "electronics"
    assert created["defaults"]["inspection_sampling"] == "aql_0_65"

    # only the operator provisions
    resp = await identity.post(
        "/tenants/register",
        headers=paco_admin,
        json={**body, "external_customer_id": "cus_x", "slug": unique("x")},
    )
    assert resp.status_code == 403
    resp = await identity.post(
        "/tenants/register",
        headers=operator_admin,
        json={
            **body,
            "external_customer_id": unique("cus"),
            "slug": unique("y"),
            "industry": "bakery",
        },
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "unknown_industry"


async def test_welcome_mail_lets_the_owner_set_a_password(
    identity: httpx.AsyncClient,
    gateway: httpx.AsyncClient,
    operator_admin: dict[str, str],
    stack: Stack,
    seed: SeedContext,
) -> None:
    import asyncio
    import email

    slug = unique("lux")
    owner = f"owner@{slug}.example"
    reg = await identity.post(
        "/tenants/register",
        headers=operator_admin,
        json={
            "name": "Lux Pack",
            "slug": slug,
            "plan": "starter",
            "industry": "luxury_packaging",
            "external_customer_id": f"cus_{slug}",
            "owner_email": owner,
            "owner_name": "Lux Owner",
        },
    )
    assert reg.status_code == 201, reg.text
    # the owner cannot log in before accepting
    resp = await identity.post(
        "/auth/login", json={"email": owner, "password": "x" * 12, "tenant": slug}
    )
    assert resp.status_code == 401

    mail_dir = stack.config.state_dir / "mail"
    message = None
    for _ in range(50):
        for path in mail_dir.glob("*.eml") if mail_dir.exists() else []:
            msg = email.message_from_bytes(path.read_bytes())
            if msg["To"] == owner:
                message = msg
        if message:
            break
        await asyncio.sleep(0.2)
    assert message is not None, "welcome mail not written"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes), payload
    body = payload.decode()
    url = next(line for line in body.splitlines() if "/invites/" in line)
    # the mailed link is the public acceptance route, through the gateway
    link = urlsplit(url.strip()).path
    assert link.startswith("/v1/identity/invites/") and link.endswith("/accept")
    resp = await gateway.post(link, json={"password": "Owner-password-1", "name": "Lux Owner"})
    assert resp.status_code == 201, resp.text
    tokens = (
        await identity.post(
            "/auth/login", json={"email": owner, "tenant": slug, "password": "Owner-password-1"}
        )
    ).json()
    me = (
        await identity.get("/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    ).json()
    assert me["roles"] == ["ADMIN"] and me["tenant"]["slug"] == slug

    # once written, the link is scrubbed from the outbox row
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        row = await conn.fetchrow(
            "SELECT sent_at, data::text AS data FROM identity.outbox "
            "WHERE type = 'identity.mail.welcome' AND data->>'to' = $1",
            owner,
        )
    finally:
        await conn.close()
    assert row["sent_at"] is not None and "accept_url" not in row["data"]
