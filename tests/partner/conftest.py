"""Partner's test helpers: tokens of the demo users, a gateway client, and a factory that
makes a fresh partner (a client tenant of Paco, registered as a partner) and projects."""

from __future__ import annotations

import asyncio
import email
import re
import time
import uuid
from collections.abc import AsyncIterator
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.users import Tokens
from tools.seed import SeedContext
from tools.seed.identity import OPERATOR
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


@pytest.fixture(scope="session")
def tokens(seed: SeedContext) -> Tokens:
    return Tokens(seed, USERS)


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
    return body


LINK = re.compile(r"/v1/identity/auth/magic-link/([A-Za-z0-9_\-]+)")


async def mail_to(
    stack: Stack, to: str, after: set[str] | None = None, wait: float = 30
) -> Message:
    """The newest mail to `to` in the local mail folder (identity's relay writes <id>.eml),
    skipping the files in `after`."""
    folder = Path(stack.config.state_dir) / "mail"
    deadline = time.monotonic() + wait
    while True:
        found = []
        for path in folder.glob("*.eml") if folder.exists() else []:
            if after and path.name in after:
                continue
            msg = email.message_from_bytes(path.read_bytes())
            if msg["To"] == to:
                found.append((path.stat().st_mtime, path.name, msg))
        if found:
            return max(found, key=lambda f: (f[0], f[1]))[2]
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {to} in {folder}")
        await asyncio.sleep(0.2)


def mail_names(stack: Stack) -> set[str]:
    folder = Path(stack.config.state_dir) / "mail"
    return {p.name for p in folder.glob("*.eml")} if folder.exists() else set()


def link_token(msg: Message) -> str:
    body = msg.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = LINK.search(body.decode())
    assert found, body
    return found.group(1)


class Factory:
    """Paco's side, through the gateway as its admin; partners' people by magic link."""

    def __init__(self, gw: httpx.AsyncClient, tokens: Tokens, stack: Stack) -> None:
        self.gw = gw
        self.tokens = tokens
        self.stack = stack

    async def invite(self, partner: dict[str, Any], role: str = "PARTNER_ENGINEER") -> str:
        """Invites a new person of `partner` by magic link; returns the email."""
        to = f"dev-{uuid.uuid4().hex[:8]}@partner.example"
        body = {
            "email": to,
            "tenant_id": partner["customer_tenant_id"],
            "roles": [role],
            "space": "DEVELOPER",
            "login": "magic_link",
        }
        got = ok(
            await self.gw.post(f"{ID}/invites", headers=self.tokens.h("admin"), json=body), 201
        )
        assert got["token"] is None and got["accept_url"] is None and got["login"] == "magic_link"
        return to

    async def sign_in(self, to: str) -> dict[str, Any]:
        token = link_token(await mail_to(self.stack, to))
        resp = await self.gw.post(f"{ID}/auth/magic-link/{token}", json={"email": to})
        return ok(resp)

    async def partner_headers(
        self, partner: dict[str, Any], role: str = "PARTNER_ENGINEER"
    ) -> dict[str, str]:
        got = await self.sign_in(await self.invite(partner, role))
        return {"Authorization": f"Bearer {got['access_token']}"}

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
        return ok(
            await self.gw.post(f"{PT}/partners", headers=self.tokens.h("admin"), json=body), 201
        )

    async def blueprint(self, name: str = "Weft API") -> dict[str, Any]:
        body = {"name": name}
        return ok(
            await self.gw.post(f"{PT}/projects", headers=self.tokens.h("admin"), json=body), 201
        )

    async def project(
        self, partner: dict[str, Any], blueprint: dict[str, Any], name: str = "ERP integration"
    ) -> dict[str, Any]:
        body = {"name": name, "blueprint_id": blueprint["id"]}
        path = f"{PT}/partners/{partner['id']}/projects"
        return ok(await self.gw.post(path, headers=self.tokens.h("admin"), json=body), 201)


@pytest.fixture
def factory(gw: httpx.AsyncClient, tokens: Tokens, stack: Stack) -> Factory:
    return Factory(gw, tokens, stack)
