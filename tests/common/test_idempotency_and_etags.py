"""Idempotency-Key and If-Match, as the kit gives them to every service (here: identity)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import Stack


@pytest.fixture
async def paco(stack: Stack, seed: SeedContext) -> AsyncIterator[httpx.AsyncClient]:
    token = login(seed, "admin@paco.example", "paco")
    async with httpx.AsyncClient(
        base_url=stack.service_url("identity"),
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    ) as client:
        yield client


def _slug() -> str:
    return f"idem-{uuid.uuid4().hex[:10]}"


async def _count_tenants(stack: Stack, slug: str) -> int:
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        return await conn.fetchval("SELECT count(*) FROM identity.tenants WHERE slug = $1", slug)
    finally:
        await conn.close()


async def test_same_key_same_body_replays(paco: httpx.AsyncClient, stack: Stack) -> None:
    slug, key = _slug(), uuid.uuid4().hex
    body = {"name": "Replay Brand", "slug": slug}
    first = await paco.post("/tenants", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = await paco.post("/tenants", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers.get("etag") == first.headers.get("etag")
    assert await _count_tenants(stack, slug) == 1


async def test_same_key_other_body_is_422(paco: httpx.AsyncClient, stack: Stack) -> None:
    slug, key = _slug(), uuid.uuid4().hex
    first = await paco.post(
        "/tenants", json={"name": "A", "slug": slug}, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201
    other = await paco.post(
        "/tenants", json={"name": "B", "slug": _slug()}, headers={"Idempotency-Key": key}
    )
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["code"] == "idempotency_key_reused"


async def test_key_is_scoped_to_the_caller(
    paco: httpx.AsyncClient, seed: SeedContext, stack: Stack
) -> None:
    key = uuid.uuid4().hex
    first = await paco.post(
        "/tenants", json={"name": "A", "slug": _slug()}, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201
    # another tenant's caller using the same key is a different key
    operator = login(
        seed, "admin@packpolish.example", "pack-polish", password=seed.operator_admin_password
    )
    async with httpx.AsyncClient(base_url=stack.service_url("identity"), timeout=30) as client:
        resp = await client.post(
            "/tenants",
            json={"name": "Op child", "slug": _slug()},
            headers={"Idempotency-Key": key, "authorization": f"Bearer {operator}"},
        )
    assert resp.status_code == 201
    assert "idempotent-replayed" not in resp.headers


async def test_key_in_flight_is_409_and_a_stale_lease_is_retaken(
    paco: httpx.AsyncClient, stack: Stack
) -> None:
    me = (await paco.get("/me")).json()
    tenant_id, user_id = me["tenant"]["id"], me["user"]["id"]
    key, slug = uuid.uuid4().hex, _slug()
    raw = b'{"name":"In flight","slug":"' + slug.encode() + b'"}'
    digest = hashlib.sha256(b"/tenants" + b"?" + b"" + b"\n" + raw).hexdigest()
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        await conn.execute(
            "INSERT INTO identity.idempotency_keys (tenant_id, caller, key, request_hash, status,"
            " locked_until, expires_at, path) VALUES ($1, $2, $3, $4, 'in_flight',"
            " now() + interval '1 minute', now() + interval '1 day', '/tenants')",
            uuid.UUID(tenant_id),
            user_id,
            key,
            digest,
        )
        headers = {"Idempotency-Key": key, "content-type": "application/json"}
        busy = await paco.post("/tenants", content=raw, headers=headers)
        assert busy.status_code == 409, busy.text
        assert busy.json()["code"] == "idempotency_in_flight"
        assert await _count_tenants(stack, slug) == 0

        # the first request died: once its lease runs out, the same request may run
        await conn.execute(
            "UPDATE identity.idempotency_keys SET locked_until = now() - interval '1 second'"
            " WHERE key = $1",
            key,
        )
        retried = await paco.post("/tenants", content=raw, headers=headers)
        assert retried.status_code == 201, retried.text
        assert await _count_tenants(stack, slug) == 1
    finally:
        await conn.close()


async def test_failed_request_releases_the_key(paco: httpx.AsyncClient) -> None:
    key = uuid.uuid4().hex
    bad = await paco.post(
        "/tenants", json={"name": "", "slug": "x"}, headers={"Idempotency-Key": key}
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_failed"
    # a 4xx answer is the answer for that body: replayed
    again = await paco.post(
        "/tenants", json={"name": "", "slug": "x"}, headers={"Idempotency-Key": key}
    )
    assert again.status_code == 422
    assert again.headers.get("idempotent-replayed") == "true"


async def test_if_match_stale_version_is_412(paco: httpx.AsyncClient) -> None:
    created = await paco.post("/tenants", json={"name": "Etag Brand", "slug": _slug()})
    assert created.status_code == 201
    tenant = created.json()
    etag = created.headers["etag"]
    ok = await paco.patch(
        f"/tenants/{tenant['id']}", json={"name": "Etag Brand 2"}, headers={"If-Match": etag}
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] != etag
    stale = await paco.patch(
        f"/tenants/{tenant['id']}", json={"name": "Lost update"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "version_mismatch"
    current = await paco.get(f"/tenants/{tenant['id']}")
    assert current.json()["name"] == "Etag Brand 2"


async def test_problem_json_for_unknown_route_and_method(paco: httpx.AsyncClient) -> None:
    missing = await paco.get("/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["code"] == "not_found"
    assert missing.json()["request_id"]
    wrong = await paco.delete("/me")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"
