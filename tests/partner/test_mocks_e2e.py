"""Mocks through the real gateway and the real partner process: the owner starts a mock,
calls it under /v1/partner/mocks/{id}/serve/..., gets problem+json for an invalid request,
stops it; a brand's user is refused. The spec version row is written straight into the
stack's database (the upload route is the specs feature's)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import asyncpg
import httpx

from tests.fixtures.users import Tokens
from tests.partner.conftest import PT, Factory, ok, problem
from tests.partner.test_mocks import PETS
from tools.stack import Stack


async def _spec_version(stack: Stack, project: dict[str, Any], document: dict[str, Any]) -> str:
    spec_id = uuid.uuid4()
    text = json.dumps(document)
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        await conn.execute(
            "INSERT INTO partner.spec_versions (id, tenant_id, customer_tenant_id, project_id,"
            " number, source, format, openapi_version, title, api_version, document, size_bytes,"
            " sha256, operation_count, status, uploaded_by, uploaded_side, version)"
            " VALUES ($1, $2, $3, $4, 1, 'upload', 'json', '3.1.0', 'Pets', '1.0', $5::jsonb,"
            " $6, $7, 4, 'accepted', 'test', 'owner', 1)",
            spec_id,
            uuid.UUID(project["tenant_id"]),
            uuid.UUID(project["customer_tenant_id"]),
            uuid.UUID(project["id"]),
            text,
            len(text),
            hashlib.sha256(text.encode()).hexdigest(),
        )
    finally:
        await conn.close()
    return str(spec_id)


async def test_a_mock_through_the_gateway(
    stack: Stack, gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    project = await factory.project(await factory.partner(), await factory.blueprint())
    spec_id = await _spec_version(stack, project, PETS)
    admin = tokens.h("admin")

    mock = ok(
        await gw.post(
            f"{PT}/projects/{project['id']}/mocks", json={"spec_version_id": spec_id}, headers=admin
        ),
        201,
    )
    serve = mock["base_path"]
    assert serve == f"{PT}/mocks/{mock['id']}/serve"
    assert ok(await gw.get(f"{serve}/pets", params={"limit": 2}, headers=admin)) == [
        {"id": 1, "name": "Rex"}
    ]
    created = ok(await gw.post(f"{serve}/pets", json={"name": "Bo"}, headers=admin), 201)
    assert set(created) == {"id", "name", "kind", "parent"}
    invalid = problem(
        await gw.post(f"{serve}/pets", json={"name": 3}, headers=admin), 422, "mock_request_invalid"
    )
    assert invalid["errors"] and invalid["request_id"]

    brand = await gw.get(f"{serve}/pets", params={"limit": 2}, headers=tokens.h("lbx"))
    assert brand.status_code in (403, 404), brand.text
    assert brand.headers["content-type"].startswith("application/problem+json")

    stopped = ok(await gw.post(f"{PT}/mocks/{mock['id']}/stop", headers=admin))
    assert stopped["status"] == "stopped" and stopped["calls"] == 3
    problem(await gw.get(f"{serve}/pets", params={"limit": 2}, headers=admin), 409, "mock_stopped")
    collection = ok(
        await gw.get(
            f"{PT}/projects/{project['id']}/spec-versions/{spec_id}/postman", headers=admin
        )
    )
    assert len([i for f in collection["item"] for i in f["item"]]) == 4
