"""Mocks in-process: start, call (answered from examples or schemas, validated with
openapi-core, traced), stop, the Postman collection, and another partner refused (IDOR)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from libs.common.db import Database
from services.partner.mocks import responder
from services.partner.models import Mock, Partner, Project, SpecVersion, Trace
from tests.fixtures.auth import TestKey

PETS: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Pets", "version": "1.0"},
    "servers": [{"url": "https://api.example.com/v1"}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "list_pets",
                "tags": ["pets"],
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer", "maximum": 100},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"example": [{"id": 1, "name": "Rex"}]}},
                    }
                },
            },
            "post": {
                "operationId": "create_pet",
                "tags": ["pets"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "created",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    },
                    "422": {"description": "invalid"},
                },
            },
        },
        "/pets/{pet_id}": {
            "parameters": [
                {"name": "pet_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "delete": {"operationId": "delete_pet", "responses": {"204": {"description": "gone"}}},
        },
        "/pets/mine": {
            "get": {
                "operationId": "my_pets",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Pet"},
                                }
                            }
                        },
                    }
                },
            },
        },
    },
    "components": {
        "schemas": {
            "NewPet": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "tag": {"type": "string"},
                },
            },
            "Pet": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["dog", "cat"]},
                    "parent": {"$ref": "#/components/schemas/Pet"},
                },
            },
        }
    },
}


@dataclass
class World:
    client: httpx.AsyncClient
    db: Database
    owner: uuid.UUID
    partner: uuid.UUID
    other: uuid.UUID
    project_id: uuid.UUID
    spec_id: uuid.UUID
    key: TestKey

    def owner_h(self) -> dict[str, str]:
        return self.key.headers(self.owner, perms=["partners:read", "partners:write"])

    def partner_h(self, tenant: uuid.UUID | None = None) -> dict[str, str]:
        return self.key.headers(
            tenant or self.partner,
            space="DEVELOPER",
            roles=["PARTNER_ENGINEER"],
            perms=["partner:read", "partner:write"],
            parent_tenant_id=self.owner,
        )


async def _spec(
    db: Database,
    owner: uuid.UUID,
    partner: uuid.UUID,
    project: uuid.UUID,
    document: dict[str, Any],
    number: int,
) -> uuid.UUID:
    async with db.transaction(None, system=True) as session:
        spec = SpecVersion(
            tenant_id=owner,
            customer_tenant_id=partner,
            project_id=project,
            number=number,
            source="upload",
            format="json",
            openapi_version=str(document.get("openapi")),
            title="Pets",
            api_version="1.0",
            document=document,
            size_bytes=100,
            sha256=hashlib.sha256(repr(document).encode()).hexdigest(),
            operation_count=4,
            status="accepted",
            uploaded_by="test",
            uploaded_side="owner",
        )
        session.add(spec)
        await session.flush()
        return spec.id


@pytest.fixture
async def world(service_app: Callable[[str], Awaitable[FastAPI]], test_key: TestKey) -> World:
    app = await service_app("partner")
    db: Database = app.state.db
    owner, partner, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with db.transaction(None, system=True) as session:
        rows = []
        for tenant in (partner, other):
            org = Partner(
                tenant_id=owner,
                customer_tenant_id=tenant,
                name="ERP",
                category="erp_vendor",
                status="active",
                created_by="test",
            )
            session.add(org)
            await session.flush()
            rows.append(org)
        blueprint = Project(
            tenant_id=owner, kind="blueprint", name="API", status="active", created_by="test"
        )
        session.add(blueprint)
        await session.flush()
        project = Project(
            tenant_id=owner,
            customer_tenant_id=partner,
            kind="partner",
            name="ERP",
            partner_id=rows[0].id,
            blueprint_id=blueprint.id,
            status="active",
            created_by="test",
        )
        session.add(project)
        await session.flush()
        project_id = project.id
    spec_id = await _spec(db, owner, partner, project_id, PETS, 1)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://partner.test"
    )
    return World(client, db, owner, partner, other, project_id, spec_id, test_key)


async def _start(w: World) -> dict[str, Any]:
    resp = await w.client.post(
        f"/projects/{w.project_id}/mocks",
        json={"spec_version_id": str(w.spec_id)},
        headers=w.partner_h(),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_a_partner_starts_calls_and_stops_its_mock(world: World) -> None:
    w = world
    mock = await _start(w)
    assert mock["status"] == "running"
    assert mock["base_path"] == f"/v1/partner/mocks/{mock['id']}/serve"
    serve = f"/mocks/{mock['id']}/serve"

    listed = await w.client.get(serve + "/pets", params={"limit": "5"}, headers=w.partner_h())
    assert listed.status_code == 200
    assert listed.json() == [{"id": 1, "name": "Rex"}]

    created = await w.client.post(serve + "/pets", json={"name": "Bo"}, headers=w.partner_h())
    assert created.status_code == 201
    body = created.json()
    assert body["id"] == "00000000-0000-4000-8000-000000000000"
    assert body["kind"] == "dog" and body["parent"] is None  # Pet.parent is a Pet: cut

    gone = await w.client.delete(serve + "/pets/7", headers=w.partner_h())
    assert gone.status_code == 204 and gone.content == b""
    mine = await w.client.get(serve + "/pets/mine", headers=w.partner_h())
    assert mine.status_code == 200 and isinstance(mine.json(), list)

    invalid = await w.client.post(serve + "/pets", json={"tag": "x"}, headers=w.partner_h())
    assert invalid.status_code == 422
    assert invalid.headers["content-type"].startswith("application/problem+json")
    problem = invalid.json()
    assert problem["code"] == "mock_request_invalid"
    assert any("name" in e["message"] for e in problem["errors"]), problem
    too_many = await w.client.get(serve + "/pets", params={"limit": "500"}, headers=w.partner_h())
    assert too_many.status_code == 422 and too_many.json()["code"] == "mock_request_invalid"
    missing = await w.client.get(serve + "/pets", headers=w.partner_h())
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["limit"]

    unknown = await w.client.get(serve + "/owners", headers=w.partner_h())
    assert unknown.status_code == 404 and unknown.json()["code"] == "mock_operation_not_found"

    async with w.db.transaction(None, system=True) as session:
        traces = list(
            await session.scalars(
                select(Trace).where(Trace.mock_id == uuid.UUID(mock["id"])).order_by(Trace.id)
            )
        )
        row = await session.get(Mock, uuid.UUID(mock["id"]))
        assert row is not None and row.calls == 8
    assert [(t.method, t.status, t.operation) for t in traces] == [
        ("GET", 200, "list_pets"),
        ("POST", 201, "create_pet"),
        ("DELETE", 204, "delete_pet"),
        ("GET", 200, "my_pets"),
        ("POST", 422, "create_pet"),
        ("GET", 422, "list_pets"),
        ("GET", 422, "list_pets"),
        ("GET", 404, None),
    ]
    assert all(t.request["headers"]["authorization"] == "[redacted]" for t in traces)
    assert traces[1].request["body"] == '{"name":"Bo"}'
    assert all(t.customer_tenant_id == w.partner and t.tenant_id == w.owner for t in traces)
    assert "name" in traces[4].summary and traces[0].response is not None

    stopped = await w.client.post(f"/mocks/{mock['id']}/stop", headers=w.partner_h())
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    after = await w.client.get(serve + "/pets", params={"limit": "5"}, headers=w.partner_h())
    assert after.status_code == 409 and after.json()["code"] == "mock_stopped"

    owner_view = await w.client.get(f"/projects/{w.project_id}/mocks", headers=w.owner_h())
    assert [m["id"] for m in owner_view.json()["items"]] == [mock["id"]]


async def test_another_partner_can_neither_start_call_nor_stop_it(world: World) -> None:
    w = world
    mock = await _start(w)
    intruder = w.partner_h(w.other)
    start = await w.client.post(
        f"/projects/{w.project_id}/mocks",
        json={"spec_version_id": str(w.spec_id)},
        headers=intruder,
    )
    assert start.status_code == 404 and start.json()["code"] == "project_not_found"
    for resp in (
        await w.client.get(
            f"/mocks/{mock['id']}/serve/pets", params={"limit": "1"}, headers=intruder
        ),
        await w.client.post(f"/mocks/{mock['id']}/stop", headers=intruder),
        await w.client.get(f"/mocks/{mock['id']}", headers=intruder),
    ):
        assert resp.status_code == 404 and resp.json()["code"] == "mock_not_found", resp.text
    postman = await w.client.get(
        f"/projects/{w.project_id}/spec-versions/{w.spec_id}/postman", headers=intruder
    )
    assert postman.status_code == 404
    still = await w.client.get(f"/mocks/{mock['id']}", headers=w.partner_h())
    assert still.json()["status"] == "running" and still.json()["calls"] == 0
    async with w.db.transaction(None, system=True) as session:
        assert (
            list(await session.scalars(select(Trace).where(Trace.mock_id == uuid.UUID(mock["id"]))))
            == []
        )


async def test_a_spec_version_of_another_project_or_an_invalid_spec_is_refused(
    world: World,
) -> None:
    w = world
    broken = {
        "openapi": "3.1.0",
        "info": {"title": "x"},
        "paths": {"/a": {"get": {"responses": {"200": {}}}}},
    }
    bad_id = await _spec(w.db, w.owner, w.partner, w.project_id, broken, 2)
    resp = await w.client.post(
        f"/projects/{w.project_id}/mocks",
        json={"spec_version_id": str(bad_id)},
        headers=w.partner_h(),
    )
    assert resp.status_code == 422 and resp.json()["code"] == "mock_spec_invalid"
    resp = await w.client.post(
        f"/projects/{w.project_id}/mocks",
        json={"spec_version_id": str(uuid.uuid4())},
        headers=w.partner_h(),
    )
    assert resp.status_code == 404 and resp.json()["code"] == "spec_version_not_found"


async def test_postman_collection_of_a_spec_version(world: World) -> None:
    w = world
    resp = await w.client.get(
        f"/projects/{w.project_id}/spec-versions/{w.spec_id}/postman", headers=w.partner_h()
    )
    assert resp.status_code == 200
    assert "postman_collection.json" in resp.headers["content-disposition"]
    got = resp.json()
    assert (
        got["info"]["schema"]
        == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    )
    assert got["variable"] == [
        {"key": "baseUrl", "value": "https://api.example.com/v1", "type": "string"}
    ]
    requests = {i["name"]: i["request"] for folder in got["item"] for i in folder["item"]}
    assert set(requests) == {"list_pets", "create_pet", "delete_pet", "my_pets"}
    assert requests["list_pets"]["url"]["raw"] == "{{baseUrl}}/pets?limit="
    assert requests["delete_pet"]["url"]["path"] == ["pets", ":pet_id"]
    assert requests["delete_pet"]["url"]["variable"] == [{"key": "pet_id", "value": ""}]
    assert '"name": "string"' in requests["create_pet"]["body"]["raw"]


def test_match_prefers_literal_segments_and_generation_stops_at_cycles() -> None:
    found = responder.match(PETS, "GET", "/pets/mine")
    assert found is not None and found.operation_id == "my_pets"
    found = responder.match(PETS, "DELETE", "/pets/12")
    assert found is not None and found.template == "/pets/{pet_id}"
    assert responder.match(PETS, "PUT", "/pets") is None
    op = responder.match(PETS, "POST", "/pets")
    assert op is not None
    answer = responder.answer(PETS, op)
    assert answer.status == 201 and answer.content_type == "application/json"
    depth, node = 0, answer.body
    while isinstance(node, dict) and node.get("parent") is not None:
        depth, node = depth + 1, node["parent"]
    assert depth == 0  # Pet -> parent -> Pet is a cycle: cut at once
