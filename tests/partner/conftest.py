"""Partner's test helpers: tokens of the demo users, a gateway client, and a factory that
makes a fresh partner (a client tenant of Paco, registered as a partner) and projects."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tools.seed import SeedContext
from tools.seed.identity import OPERATOR, login
from tools.stack import Stack

USERS = {
    "admin": ("admin@paco.example", "paco"),
    "viewer": ("viewer@paco.example", "paco"),
    "ops": ("ops@paco.example", "paco"),
    "lbx": ("viewer@luxurybrandx.example", "luxury-brand-x"),
    "operator": OPERATOR,
}
PT = "/v1/partner"
ID = "/v1/identity"


class Tokens:
    def __init__(self, seed: SeedContext) -> None:
        self.seed = seed
        self._cache: dict[str, tuple[float, str]] = {}

    def __getitem__(self, who: str) -> str:
        got = self._cache.get(who)
        if got is None or time.monotonic() - got[0] > 240:
            got = (time.monotonic(), login(self.seed, *USERS[who]))
            self._cache[who] = got
        return got[1]

    def h(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self[who]}", **extra}


@pytest.fixture(scope="session")
def tokens(seed: SeedContext) -> Tokens:
    return Tokens(seed)


@pytest.fixture
async def gw(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as client:
        yield client


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
    return body  # type: ignore[no-any-return]


class Factory:
    """Paco's side, through the gateway as its admin."""

    def __init__(self, gw: httpx.AsyncClient, tokens: Tokens) -> None:
        self.gw = gw
        self.tokens = tokens

    async def client_tenant(self, name: str = "Partner") -> str:
        tag = uuid.uuid4().hex[:10]
        body = {"name": f"{name} {tag}", "slug": f"p-{tag}"}
        got = ok(
            await self.gw.post(f"{ID}/tenants", headers=self.tokens.h("admin"), json=body), 201
        )
        return str(got["id"])

    async def partner(self, name: str = "ERP vendor") -> dict[str, Any]:
        tenant_id = await self.client_tenant(name)
        body = {"name": name, "category": "erp_vendor", "tenant_id": tenant_id}
        return ok(  # type: ignore[no-any-return]
            await self.gw.post(f"{PT}/partners", headers=self.tokens.h("admin"), json=body), 201
        )

    async def blueprint(self, name: str = "Weft API") -> dict[str, Any]:
        body = {"name": name}
        return ok(  # type: ignore[no-any-return]
            await self.gw.post(f"{PT}/projects", headers=self.tokens.h("admin"), json=body), 201
        )

    async def project(
        self, partner: dict[str, Any], blueprint: dict[str, Any], name: str = "ERP integration"
    ) -> dict[str, Any]:
        body = {"name": name, "blueprint_id": blueprint["id"]}
        path = f"{PT}/partners/{partner['id']}/projects"
        return ok(  # type: ignore[no-any-return]
            await self.gw.post(path, headers=self.tokens.h("admin"), json=body), 201
        )


@pytest.fixture
def factory(gw: httpx.AsyncClient, tokens: Tokens) -> Factory:
    return Factory(gw, tokens)
