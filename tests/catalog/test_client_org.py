"""A client tenant acting as a catalog organisation: catalog tells identity
(catalog.organisation.linked), identity puts `org_id` / `org_type` in the tenant's tokens,
and the tenant's people (CLIENT_ACCOUNTANT, ACCOUNTING space) read their own prices through
the gateway."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
from jose import jwt

from tests.catalog.conftest import Factory, ok, problem
from tests.catalog.test_pricing import example_b
from tools.seed import DEMO_PASSWORD, SeedContext
from tools.stack import Stack

AT = "2026-06-01T00:00:00Z"


async def _login(
    stack: Stack, email: str, tenant: str, space: str, password: str = DEMO_PASSWORD
) -> str:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as gw:
        body = {"email": email, "password": password, "tenant": tenant, "space": space}
        return str(ok(await gw.post("/v1/identity/auth/login", json=body))["access_token"])


async def _claims_when(
    stack: Stack, email: str, tenant: str, space: str, want: Any, wait: float = 45.0
) -> dict[str, Any]:
    """Logs in until the token's org_id is `want` (the event travels catalog -> sync ->
    identity); the last claims."""
    deadline = time.monotonic() + wait
    while True:
        claims: dict[str, Any] = jwt.get_unverified_claims(
            await _login(stack, email, tenant, space)
        )
        if claims.get("org_id") == want or time.monotonic() > deadline:
            return claims
        await asyncio.sleep(0.5)


async def _client_tenant(factory: Factory, stack: Stack) -> tuple[str, str, str]:
    """A fresh client tenant of Paco's with one user holding CLIENT_ACCOUNTANT: (tenant id,
    slug, email)."""
    slug = f"dealer-{factory.tag}"
    email = f"accounts@{slug}.example"
    async with httpx.AsyncClient(
        base_url=stack.service_url("identity"), headers=factory.h, timeout=30
    ) as idn:
        tenant = ok(await idn.post("/tenants", json={"name": slug, "slug": slug}), 201)
        ok(
            await idn.post(
                "/client-users",
                json={
                    "client_slug": slug,
                    "email": email,
                    "name": "Accounts",
                    "roles": ["CLIENT_ACCOUNTANT"],
                    "password": DEMO_PASSWORD,
                },
            ),
            201,
        )
    return str(tenant["id"]), slug, email


async def test_linking_puts_org_claims_in_the_client_tenants_tokens(
    factory: Factory, stack: Stack
) -> None:
    tenant, slug, email = await _client_tenant(factory, stack)
    before = await _claims_when(stack, email, slug, "ACCOUNTING", None, wait=0)
    assert "org_id" not in before and "org_type" not in before
    assert before["roles"] == ["CLIENT_ACCOUNTANT"] and before["perms"] == ["prices:read"]

    dealer = await factory.org("Linked dealer", "dealer", client_tenant_id=tenant)
    claims = await _claims_when(stack, email, slug, "ACCOUNTING", dealer["id"])
    assert (claims.get("org_id"), claims.get("org_type")) == (dealer["id"], "dealer")

    # an inactive organisation is no longer acted as; unlinking drops the claims
    ok(
        await factory.c.patch(
            f"/orgs/{dealer['id']}", headers=factory.h, json={"status": "inactive"}
        )
    )
    claims = await _claims_when(stack, email, slug, "ACCOUNTING", None)
    assert "org_id" not in claims
    ok(await factory.c.patch(f"/orgs/{dealer['id']}", headers=factory.h, json={"status": "active"}))
    assert (await _claims_when(stack, email, slug, "ACCOUNTING", dealer["id"]))["org_type"] == (
        "dealer"
    )
    ok(
        await factory.c.patch(
            f"/orgs/{dealer['id']}", headers=factory.h, json={"client_tenant_id": None}
        )
    )
    claims = await _claims_when(stack, email, slug, "ACCOUNTING", None)
    assert "org_id" not in claims and "org_type" not in claims


async def test_a_forged_link_event_is_ignored(factory: Factory, stack: Stack) -> None:
    """Identity keeps a link only for a client tenant of the event's tenant: an event naming
    another provider's client changes nothing (signed by sync, but checked anyway)."""
    from libs.common.webhooks import signed_headers

    tenant, slug, email = await _client_tenant(factory, stack)
    secret = stack.secrets["service_secret_identity"]
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": "catalog.organisation.linked",
        "tenant_id": str(uuid.uuid4()),  # not this client's provider
        "customer_tenant_id": tenant,
        "subject": "orgs/x",
        "occurred_at": "2026-06-01T00:00:00Z",
        "data": {
            "org_id": str(uuid.uuid4()),
            "org_type": "dealer",
            "client_tenant_id": tenant,
            "linked": True,
            "changed_at": "2026-06-01T00:00:00Z",
        },
    }
    body = httpx.Request("POST", "/", json=event).content
    async with httpx.AsyncClient(base_url=stack.service_url("identity"), timeout=30) as idn:
        r = await idn.post(
            "/internal/events/catalog",
            content=body,
            headers={
                "content-type": "application/json",
                **signed_headers([secret], str(event["id"]), body),
            },
        )
        assert ok(r) == {"status": "ignored"}
        r = await idn.post(
            "/internal/events/catalog", content=body, headers={"content-type": "application/json"}
        )
        problem(r, 401, "invalid_signature")
    claims = await _claims_when(stack, email, slug, "ACCOUNTING", None, wait=0)
    assert "org_id" not in claims


async def test_the_demo_dealer_resolves_its_prices_through_the_gateway(
    stack: Stack, seed: SeedContext
) -> None:
    """README walk-through: Dealer One's user, ACCOUNTING space, Example B's prices with
    their explanation; its token names Dealer One."""
    demo = seed.data["catalog"]
    claims = await _claims_when(
        stack, "viewer@dealerone.example", "dealer-one", "ACCOUNTING", demo["orgs"]["DL1"]
    )
    assert (claims.get("org_id"), claims.get("org_type")) == (demo["orgs"]["DL1"], "dealer")
    token = await _login(stack, "viewer@dealerone.example", "dealer-one", "ACCOUNTING")
    body = {
        "sku_ids": [demo["skus"]["S-A1"], demo["skus"]["S-B1"]],
        "channel_id": demo["channels"]["Dealer channel"],
        "currency": "EUR",
        "quantity": 1,
        "at": AT,
    }
    async with httpx.AsyncClient(
        base_url=stack.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as gw:
        got = ok(await gw.post("/v1/catalog/prices/resolve", json=body))
        assert got["org_id"] == demo["orgs"]["DL1"]  # the dealer's own org, from its token
        prices = {i["sku_code"]: i["unit_price"] for i in got["items"]}
        assert prices == {"S-A1": "950.00", "S-B1": "950.00"}
        a1 = next(i for i in got["items"] if i["sku_code"] == "S-A1")
        assert a1["book"]["scope_type"] == "org_channel" and a1["explanation"]
        # another organisation's prices stay closed; the provider's books too
        other = {**body, "org_id": demo["orgs"]["D1"]}
        problem(await gw.post("/v1/catalog/prices/resolve", json=other), 403, "forbidden")
        r = await gw.get("/v1/catalog/price-books")
        assert r.status_code == 403, r.text


async def test_a_client_accountant_reads_prices_of_its_org(factory: Factory, stack: Stack) -> None:
    b = await example_b(factory)
    tenant, slug, email = await _client_tenant(factory, stack)
    ok(
        await factory.c.patch(
            f"/orgs/{b['dl1']['id']}", headers=factory.h, json={"client_tenant_id": tenant}
        )
    )
    token = await _login(stack, email, slug, "ACCOUNTING")
    r = await factory.c.post(
        "/prices/resolve",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "sku_ids": [b["s_a1"]["id"], b["s_b1"]["id"]],
            "channel_id": b["dealer"]["id"],
            "currency": "EUR",
            "at": AT,
        },
    )
    got = ok(r)
    assert got["org_id"] == b["dl1"]["id"]
    assert [i["unit_price"] for i in got["items"]] == ["950.00", "950.00"]
