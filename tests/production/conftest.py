"""Fixtures for production's tests: tokens of the demo users, a client on the service,
and small factories that build what a test needs in a fresh plant with fresh SKUs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fixtures.users import Tokens
from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import Stack


@pytest.fixture
async def prod(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(
        base_url=stack.service_url("production"), timeout=60, limits=limits
    ) as client:
        yield client


def ok(resp: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    )
    return resp.json() if resp.content else {}


def ok_list(resp: httpx.Response, status: int = 200) -> list[dict[str, Any]]:
    """`ok` for a route that answers a JSON array."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    )
    body = resp.json()
    assert isinstance(body, list), body
    return body


class Factory:
    """Builds plants, items, products and orders as Paco's ops manager."""

    def __init__(self, client: httpx.AsyncClient, tokens: Tokens, seed: SeedContext) -> None:
        self.c = client
        self.tokens = tokens
        self.seed = seed
        self.tag = uuid.uuid4().hex[:8]

    @property
    def h(self) -> dict[str, str]:
        return self.tokens.headers("ops")

    def sku(self, name: str) -> str:
        return f"{name}-{self.tag}"

    async def plant(self) -> dict[str, Any]:
        return ok(
            await self.c.post(
                "/plants",
                headers=self.h,
                json={"code": f"T-{self.tag}-{uuid.uuid4().hex[:4]}", "name": "Test plant"},
            ),
            201,
        )

    async def item(self, plant_id: str, sku: str, qty: str = "0", **kw: Any) -> dict[str, Any]:
        body = {"plant_id": plant_id, "sku": sku, "name": sku, "initial_quantity": qty, **kw}
        return ok(await self.c.post("/inventory/items", headers=self.h, json=body), 201)

    async def product(
        self,
        sku: str,
        bom: list[dict[str, Any]],
        stages: list[dict[str, Any]] | None = None,
        release: bool = True,
    ) -> dict[str, Any]:
        p = ok(
            await self.c.post(
                "/products",
                headers=self.h,
                json={"sku": sku, "name": sku, "bom": bom, "stages": stages or []},
            ),
            201,
        )
        version_id = p["versions"][0]["id"]
        if release:
            ok(
                await self.c.post(
                    f"/products/{p['id']}/versions/{version_id}/release", headers=self.h
                )
            )
        return {"id": p["id"], "version_id": version_id}

    async def order(
        self,
        plant_id: str,
        product_id: str,
        quantity: int,
        *,
        customer: str | None = None,
        due: str = "2026-12-31",
        number: str | None = None,
    ) -> dict[str, Any]:
        tenant = self.seed.data["tenants"][customer] if customer else None
        return ok(
            await self.c.post(
                "/orders",
                headers=self.h,
                json={
                    "number": number or f"T-{self.tag}-{uuid.uuid4().hex[:6]}",
                    "customer_tenant_id": tenant,
                    "plant_id": plant_id,
                    "product_id": product_id,
                    "quantity": quantity,
                    "unit_price": "9.90",
                    "currency": "EUR",
                    "due_date": due,
                },
            ),
            201,
        )


@pytest.fixture
def factory(prod: httpx.AsyncClient, tokens: Tokens, seed: SeedContext) -> Factory:
    return Factory(prod, tokens, seed)


class OtherProvider:
    """A second provider (registered by the operator) with its own client tenant."""

    def __init__(self, tenant_id: str, brand_id: str, token: str) -> None:
        self.tenant_id = tenant_id
        self.brand_id = brand_id
        self.token = token

    @property
    def h(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def other_provider(seed: SeedContext, stack: Stack) -> OtherProvider:
    from tools.seed import DEMO_PASSWORD
    from tools.seed.identity import OPERATOR

    slug = f"other-{uuid.uuid4().hex[:8]}"
    op = {"Authorization": f"Bearer {login(seed, *OPERATOR)}"}
    with httpx.Client(base_url=stack.service_url("identity"), timeout=30) as c:
        reg = c.post(
            "/tenants/register",
            headers=op,
            json={
                "name": "Other Packaging",
                "slug": slug,
                "plan": "growth",
                "industry": "electronics",
                "external_customer_id": f"cus_{slug}",
                "owner_email": f"owner@{slug}.example",
                "owner_name": "Other owner",
            },
        )
        assert reg.status_code == 201, reg.text
        owner = reg.json()["owner"]["id"]
        r = c.put(f"/users/{owner}/password", headers=op, json={"password": DEMO_PASSWORD})
        assert r.status_code == 204, r.text
        token = login(seed, f"owner@{slug}.example", slug)
        brand = c.post(
            "/tenants",
            headers={"Authorization": f"Bearer {token}"},
            json={"name": "Other brand", "slug": f"{slug}-brand"},
        )
        assert brand.status_code == 201, brand.text
    return OtherProvider(reg.json()["tenant"]["id"], brand.json()["id"], token)
