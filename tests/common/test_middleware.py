"""The kit's request middleware in-process (httpx ASGI transport, no database): NUL at the
edge, malformed JSON, and the public path from X-Forwarded-Prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asyncpg.exceptions import DeadlockDetectedError
from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from libs.common.app import create_service_app
from libs.common.errors import NotFound
from libs.common.settings import ServiceSettings


class Thing(BaseModel):
    name: str
    meta: dict[str, Any] = {}


class ThingNotFound(NotFound):
    code, title = "thing_not_found", "Thing not found"


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/things", status_code=201)
    async def create_thing(body: Thing, response: Response) -> Thing:
        response.headers["Location"] = "/things/1"
        return body

    @router.delete("/things/{thing_id}", status_code=204)
    async def delete_thing(thing_id: str) -> None:
        # what asyncpg raises through SQLAlchemy when Postgres breaks a deadlock
        raise DBAPIError("DELETE ...", {}, DeadlockDetectedError("deadlock detected"))

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: str) -> Thing:
        raise ThingNotFound(f"No thing {thing_id}")

    return router


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        settings=ServiceSettings(service_name="things"),
        title="things",
        description="",
        routers=[_router()],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://things") as c:
        yield c


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"name": "a\\u0000b"}', "name"),
        (b'{"name": "a\x00b"}', "body"),
        (b'{"name": "ok", "meta": {"k": ["x", "y\\u0000"]}}', "meta.k.1"),
        (b'{"name": "ok", "meta": {"k\\u0000ey": 1}}', "meta.key"),
    ],
)
async def test_nul_in_json_is_422(client: httpx.AsyncClient, raw: bytes, field: str) -> None:
    resp = await client.post("/things", content=raw, headers=JSON)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["code"] == "validation_failed"
    assert body["errors"] == [{"field": field, "message": "must not contain the NUL character"}]


async def test_nul_in_form_query_and_path_is_422(client: httpx.AsyncClient) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    resp = await client.post("/things", content=b"name=a%00b", headers=form)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "name"
    resp = await client.get("/things/1", params={"q": "a\x00"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "query.q"
    resp = await client.get("/things/a%00b")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "path"


async def test_text_that_only_looks_like_nul_passes(client: httpx.AsyncClient) -> None:
    resp = await client.post("/things", content=b'{"name": "a\\\\u0000b"}', headers=JSON)
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == "a\\u0000b"


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    for raw in (b'{"name": ', b"\xe6\xa1\x8e+"):
        resp = await client.post("/things", content=raw, headers=JSON)
        assert resp.status_code == 400, resp.text
        assert resp.json()["code"] == "invalid_json"


async def test_public_prefix_in_location_and_instance(client: httpx.AsyncClient) -> None:
    prefixed = {"X-Forwarded-Prefix": "/v1/things"}
    created = await client.post("/things", json={"name": "a"}, headers=prefixed)
    assert created.headers["location"] == "/v1/things/things/1"
    missing = await client.get("/things/7", headers=prefixed)
    assert missing.status_code == 404
    assert missing.json()["code"] == "thing_not_found"
    assert missing.json()["instance"] == "/v1/things/things/7"
    # without the gateway, or with a prefix that is not one of ours: the service path
    plain = await client.post("/things", json={"name": "a"})
    assert plain.headers["location"] == "/things/1"
    odd = await client.get("/things/7", headers={"X-Forwarded-Prefix": "https://evil/"})
    assert odd.json()["instance"] == "/things/7"


async def test_head_is_get_without_the_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/things/7")
    head = await client.head("/things/7")
    assert head.status_code == get.status_code == 404
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    health = await client.head("/healthz")
    assert health.status_code == 200 and health.content == b""


async def test_a_deadlock_is_a_503_to_retry_not_a_500(client: httpx.AsyncClient) -> None:
    resp = await client.delete("/things/1")
    assert resp.status_code == 503, resp.text
    assert resp.json()["code"] == "retry_later"
    assert resp.headers["retry-after"] == "1"
