"""Fixtures for catalog's tests: tokens of demo users, a client on the service, and a small
factory that builds organisations, products and catalogs with names unique to each test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.fixtures.users import Tokens
from tools.seed import SeedContext
from tools.stack import Stack


@pytest.fixture
async def cat(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.service_url("catalog"), timeout=60) as client:
        yield client


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    """The catalog role's own connection, in system mode (to look at what the API wrote)."""
    conn = await asyncpg.connect(stack.service_dsn("catalog", driver="postgresql"))
    await conn.execute("SELECT set_config('weft.system', 'on', false)")
    try:
        yield conn
    finally:
        await conn.close()


def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    )
    return resp.json() if resp.content else {}


def problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    body = resp.json()
    assert body["code"] == code, body
    assert resp.headers["content-type"].startswith("application/problem+json")
    return body


class Factory:
    """Builds catalog data as Paco's admin, with names unique to the test."""

    def __init__(self, client: httpx.AsyncClient, tokens: Tokens, seed: SeedContext) -> None:
        self.c = client
        self.tokens = tokens
        self.seed = seed
        self.tag = uuid.uuid4().hex[:8]

    @property
    def h(self) -> dict[str, str]:
        return self.tokens.headers("admin")

    def name(self, base: str) -> str:
        return f"{base} {self.tag}"

    async def post(self, path: str, body: dict[str, Any], status: int = 201) -> Any:
        return ok(await self.c.post(path, headers=self.h, json=body), status)

    async def get(self, path: str, **params: Any) -> Any:
        return ok(await self.c.get(path, headers=self.h, params=params))

    async def org(self, name: str, type: str, **kw: Any) -> dict[str, Any]:
        return await self.post("/orgs", {"name": self.name(name), "type": type, **kw})

    async def relate(
        self, child: dict[str, Any], rel: str, parent: dict[str, Any], **kw: Any
    ) -> Any:
        return await self.post(
            f"/orgs/{child['id']}/relationships",
            {"relation_type": rel, "target_org_id": parent["id"], **kw},
        )

    async def sku(
        self, manufacturer: dict[str, Any] | None, product: str, sku: str, **kw: Any
    ) -> dict[str, Any]:
        p = await self.post(
            "/products",
            {
                "manufacturer_org_id": manufacturer["id"] if manufacturer else None,
                "code": f"{product}-{self.tag}",
                "name": product,
                "category": kw.pop("category", None),
            },
        )
        return await self.post(
            "/skus", {"product_id": p["id"], "sku_code": f"{sku}-{self.tag}", "name": sku, **kw}
        )

    async def channel(self, name: str, type: str) -> dict[str, Any]:
        return await self.post("/channels", {"name": self.name(name), "type": type})

    async def catalog(
        self,
        channel: dict[str, Any],
        org: dict[str, Any] | None,
        publisher: dict[str, Any] | None,
    ) -> dict[str, Any]:
        return await self.post(
            f"/channels/{channel['id']}/catalogs",
            {
                "org_id": org["id"] if org else None,
                "publisher_org_id": publisher["id"] if publisher else None,
            },
        )

    async def publish(
        self, catalog: dict[str, Any], *skus: dict[str, Any], **constraints: Any
    ) -> dict[str, Any]:
        for sku in skus:
            await self.post(
                f"/catalogs/{catalog['id']}/draft",
                {"sku_id": sku["id"], "constraints": constraints},
            )
        return await self.post(f"/catalogs/{catalog['id']}/publish", {"note": "test"})


@pytest.fixture
def factory(cat: httpx.AsyncClient, tokens: Tokens, seed: SeedContext) -> Factory:
    return Factory(cat, tokens, seed)
