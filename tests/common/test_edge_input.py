"""Bad input never reaches the database or the serializer: NUL anywhere, free-form JSON
beyond its bounds. And the public path is what the client called."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.production.conftest import Factory, Tokens
from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import Stack

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def _nul_problem(resp: httpx.Response, field: str) -> None:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["code"] == "validation_failed"
    assert body["request_id"]
    assert {"field": field, "message": "must not contain the NUL character"} in body["errors"]


async def test_nul_in_a_json_string_is_422_in_every_service(stack: Stack, tokens: Tokens) -> None:
    h = tokens.headers("ops", **{"content-type": "application/json"})
    escaped = b'{"code": "N-1", "name": "bad\\u0000name"}'
    cases = [
        ("production", "/plants", escaped, "name"),
        ("production", "/plants", b'{"code": "N-2", "name": "raw\x00"}', "body"),
        (
            "production",
            "/plants",
            b'{"code": "N-3", "name": "x", "address": {"l\\u0000": 1}}',
            "address.l",
        ),
        ("identity", "/tenants", b'{"name": "A\\u0000", "slug": "nul-tenant"}', "name"),
        ("sync", "/endpoints", b'{"url": "https://example.com/\\u0000"}', "url"),
        ("quality", "/inspections", b'{"lot_id": "\\u0000"}', "lot_id"),
    ]
    for service, path, raw, field in cases:
        async with httpx.AsyncClient(base_url=stack.service_url(service), timeout=30) as c:
            _nul_problem(await c.post(path, content=raw, headers=h), field)


async def test_nul_in_query_and_path_is_422(prod: httpx.AsyncClient, tokens: Tokens) -> None:
    h = tokens.headers("ops")
    _nul_problem(await prod.get("/plants?cursor=a%00b", headers=h), "query.cursor")
    _nul_problem(await prod.get("/plants/ab%00cd", headers=h), "path")


async def test_escaped_backslash_u0000_is_just_text(factory: Factory) -> None:
    # `\\u0000` in JSON is a backslash followed by "u0000": legal text, stored as sent
    raw = b'{"code": "BS-' + factory.tag.encode() + b'", "name": "a\\\\u0000b"}'
    h = {**factory.h, "content-type": "application/json"}
    resp = await factory.c.post("/plants", content=raw, headers=h)
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == "a\\u0000b"


def _nested(depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        out = {"x": out}
    return out


async def test_free_form_json_has_bounded_depth_and_size(factory: Factory) -> None:
    c, h = factory.c, factory.h
    deep = await c.post(
        "/plants",
        json={"code": f"D-{factory.tag}", "name": "Deep", "address": _nested(600)},
        headers=h,
    )
    assert deep.status_code == 422, deep.text
    assert deep.json()["errors"][0]["field"] == "address"
    big = await c.post(
        "/plants",
        json={"code": f"B-{factory.tag}", "name": "Big", "address": {"s": "x" * 17000}},
        headers=h,
    )
    assert big.status_code == 422, big.text
    fine = await c.post(
        "/plants",
        json={"code": f"F-{factory.tag}", "name": "Fine", "address": _nested(16)},
        headers=h,
    )
    assert fine.status_code == 201, fine.text
    plant = fine.json()
    patch = await c.patch(f"/plants/{plant['id']}", json={"address": _nested(17)}, headers=h)
    assert patch.status_code == 422, patch.text


async def test_public_path_in_location_and_instance(
    gateway: httpx.AsyncClient, factory: Factory, seed: SeedContext
) -> None:
    h = factory.h
    missing = f"/v1/production/plants/{uuid.uuid4()}"
    resp = await gateway.get(missing, headers=h)
    assert resp.status_code == 404
    assert resp.json()["instance"] == missing
    admin = {"Authorization": f"Bearer {login(seed, 'admin@paco.example', 'paco')}"}
    created = await gateway.post(
        "/v1/identity/tenants",
        json={"name": "Located brand", "slug": f"loc-{factory.tag}"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/v1/identity/tenants/{created.json()['id']}"
    # straight at the service (no gateway, no prefix) the service path stays
    async with httpx.AsyncClient(base_url=str(factory.c.base_url), timeout=30) as direct:
        resp = await direct.get(missing.removeprefix("/v1/production"), headers=h)
    assert resp.json()["instance"] == missing.removeprefix("/v1/production")


async def test_live_merged_openapi_as_sdks_see_it(gateway: httpx.AsyncClient) -> None:
    resp = await gateway.get("/openapi.json")
    doc = resp.json()
    validate(doc)
    assert doc["servers"][0]["url"].startswith("http://127.0.0.1:")
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    opids = []
    open_to_client_writes = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            opids.append(op["operationId"])
            for status, response in op["responses"].items():
                # `default` is a partner mock's pass-through: whatever the mocked spec answers
                if status != "default" and int(status) >= 400:
                    assert list(response["content"]) == [PROBLEM], (path, method, status)
            if (
                method != "get"
                and path.startswith("/v1/production/")
                and "CLIENT" in op.get("x-weft-spaces", [])
            ):
                open_to_client_writes.append((method, path))
    hooks = [op["operationId"] for item in doc["webhooks"].values() for op in item.values()]
    assert len(opids + hooks) == len(set(opids + hooks))
    assert "production.lot.gate_reached" in doc["webhooks"]
    assert open_to_client_writes == []
