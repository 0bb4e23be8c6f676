"""Sync test helpers: a real webhook receiver (aiohttp on 127.0.0.1), tokens, signed ingest."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web

from libs.common.webhooks import signed_headers
from tools.pg import free_port
from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import Stack


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return orjson.loads(self.body)


# A behaviour answers one hit: (status, headers, delay seconds before answering)
Behaviour = Callable[[Hit, int], tuple[int, dict[str, str], float]]


def ok(_hit: Hit, _n: int) -> tuple[int, dict[str, str], float]:
    return 200, {}, 0.0


@dataclass
class Receiver:
    """A tenant's webhook receiver: records every hit, answers as told per path."""

    port: int = field(default_factory=free_port)
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    _runner: web.AppRunner | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/r/{name}"

    async def _handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        hit = Hit(
            name,
            {k.lower(): v for k, v in request.headers.items()},
            await request.read(),
            time.monotonic(),
        )
        seen = self.hits.setdefault(name, [])
        seen.append(hit)
        status, headers, delay = self.behaviours.get(name, ok)(hit, len(seen))
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=status, headers=headers, text='{"ok":true}')

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/r/{name}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def unique_ids(self, name: str) -> set[str]:
        return {h.webhook_id for h in self.hits.get(name, [])}

    async def wait_for(
        self, name: str, predicate: Callable[[list[Hit]], bool], wait: float = 20.0
    ) -> list[Hit]:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            hits = self.hits.get(name, [])
            if predicate(hits):
                return hits
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"receiver {name}: condition not met in {wait}s ({len(self.hits.get(name, []))} hits)"
        )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


@pytest.fixture
def tenants(seed: SeedContext) -> dict[str, str]:
    return dict(seed.data["tenants"])


TokenFor = Callable[[str, str], Awaitable[str]]


@pytest.fixture
def token_for(seed: SeedContext) -> TokenFor:
    async def get(email: str, tenant: str) -> str:
        return await asyncio.to_thread(login, seed, email, tenant)

    return get


@pytest.fixture
async def admin_headers(token_for: TokenFor) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for('admin@paco.example', 'paco')}"}


def make_event(type_: str, tenant_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "tenant_id": tenant_id,
        "subject": extra.pop("subject", "tests/1"),
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": extra.pop("data", {"n": 1}),
        **extra,
    }


def signed_batch(
    stack: Stack, events: list[dict[str, Any]], *, service: str = "production"
) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps({"events": events})
    headers = signed_headers(
        [stack.secrets[f"service_secret_{service}"]], f"batch_{uuid.uuid4().hex}", body
    )
    headers["X-Weft-Service"] = service
    return body, headers


async def ingest(stack: Stack, events: list[dict[str, Any]]) -> dict[str, Any]:
    body, headers = signed_batch(stack, events)
    async with httpx.AsyncClient(timeout=20) as client:
        resp = await client.post(
            f"{stack.service_url('sync')}/internal/events", content=body, headers=headers
        )
    assert resp.status_code == 200, resp.text
    return resp.json()


# Subscriptions name declared event types only. Tests send their own traffic as test
# messages (declared by sync); each test's endpoints are deleted when it ends, so an endpoint
# only ever sees the events of the test that made it (tests of one session run one by one).
TYPE = "webhook.test"
_SUBSCRIBED: list[tuple[str, dict[str, str]]] = []


async def subscribe(
    gateway: httpx.AsyncClient, headers: dict[str, str], url: str, types: list[str]
) -> dict[str, Any]:
    resp = await gateway.post(
        "/v1/sync/endpoints",
        headers=headers,
        json={"url": url, "event_types": types, "description": "test"},
    )
    assert resp.status_code == 201, resp.text
    _SUBSCRIBED.append((f"{gateway.base_url}/v1/sync/endpoints/{resp.json()['id']}", headers))
    return resp.json()


async def unsubscribe(gateway: httpx.AsyncClient, headers: dict[str, str], ep_id: str) -> None:
    """Delete an endpoint `subscribe` made, before the test ends (the teardown then skips it)."""
    url = f"{gateway.base_url}/v1/sync/endpoints/{ep_id}"
    _SUBSCRIBED.remove((url, headers))
    resp = await gateway.delete(url, headers=headers)
    assert resp.status_code == 204, resp.text


@pytest.fixture(autouse=True)
async def _drop_subscriptions() -> AsyncIterator[None]:
    yield
    async with httpx.AsyncClient(timeout=20) as client:
        while _SUBSCRIBED:
            url, headers = _SUBSCRIBED.pop()
            resp = await client.delete(url, headers=headers)
            assert resp.status_code == 204, (url, resp.text)


def topic() -> str:
    """A type of its own per test, for events that no endpoint subscribes to (ingest takes
    any type; subscriptions only declared ones)."""
    return f"test.t{uuid.uuid4().hex[:10]}"
