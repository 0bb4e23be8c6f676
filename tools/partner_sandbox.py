"""A partner's sandbox: a tiny items API that implements `SPEC`, for golden runs to test.

It stands in for the system an integration partner builds (a third party), so the golden-run
tests, the partner benchmark and the demo have a real HTTP server to run against:

    python -m uvicorn tools.partner_sandbox:app --port 8199
    WEFT_SANDBOX_BUG=get_item_without_price python -m uvicorn tools.partner_sandbox:app ...

It keeps items in memory, needs `Authorization: Bearer <WEFT_SANDBOX_TOKEN>` (default
`sandbox-secret`), honours Idempotency-Key (replays the first answer) and If-Match (412 on a
stale ETag). `WEFT_SANDBOX_BUG` plants one defect: `get_item_without_price` leaves the
required `price` out of `GET /items/{item_id}`; `create_status_200` answers 200 instead of 201.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tools.pg import free_port

TOKEN = os.environ.get("WEFT_SANDBOX_TOKEN", "sandbox-secret")
BUG = os.environ.get("WEFT_SANDBOX_BUG", "")

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_ITEM = {"$ref": "#/components/schemas/Item"}


def _problem_response(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/problem+json": {"schema": _PROBLEM}}}


def _item_response(text: str) -> dict[str, Any]:
    return {
        "description": text,
        "headers": {"ETag": {"schema": {"type": "string"}}},
        "content": {"application/json": {"schema": _ITEM}},
    }


_ITEM_ID = {
    "name": "item_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-z0-9-]+$"},
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Items sandbox", "version": "1.0.0"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "name", "price", "version"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "price": {"type": "integer", "minimum": 0},
                    "version": {"type": "integer", "minimum": 1},
                },
            },
            "ItemCreate": {
                "type": "object",
                "required": ["name", "price"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "price": {"type": "integer", "minimum": 0, "maximum": 1000000},
                },
                "additionalProperties": False,
            },
            "ItemUpdate": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "price": {"type": "integer", "minimum": 0, "maximum": 1000000},
                },
                "additionalProperties": False,
            },
            "ItemPage": {
                "type": "object",
                "required": ["items", "next_cursor"],
                "properties": {
                    "items": {"type": "array", "items": _ITEM},
                    "next_cursor": {"type": ["string", "null"]},
                },
            },
            "Problem": {
                "type": "object",
                "required": ["type", "title", "status"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/items": {
            "get": {
                "operationId": "list_items",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "A page of items",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ItemPage"}
                            }
                        },
                    },
                    "401": _problem_response("No or a wrong token"),
                },
            },
            "post": {
                "operationId": "create_item",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ItemCreate"}}
                    },
                },
                "responses": {
                    "201": _item_response("Created"),
                    "401": _problem_response("No or a wrong token"),
                    "422": _problem_response("The body is not an ItemCreate"),
                },
            },
        },
        "/items/{item_id}": {
            "get": {
                "operationId": "get_item",
                "parameters": [_ITEM_ID],
                "responses": {
                    "200": _item_response("The item"),
                    "401": _problem_response("No or a wrong token"),
                    "404": _problem_response("No such item"),
                },
            },
            "patch": {
                "operationId": "update_item",
                "parameters": [
                    _ITEM_ID,
                    {
                        "name": "If-Match",
                        "in": "header",
                        "schema": {"type": "string", "pattern": '^"[0-9]{1,6}"$'},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ItemUpdate"}}
                    },
                },
                "responses": {
                    "200": _item_response("Updated"),
                    "401": _problem_response("No or a wrong token"),
                    "404": _problem_response("No such item"),
                    "412": _problem_response("If-Match names another version"),
                    "422": _problem_response("The body is not an ItemUpdate"),
                },
            },
        },
    },
}

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
_items: dict[str, dict[str, Any]] = {}
_replays: dict[str, tuple[bytes, Response]] = {}


def _problem(status: int, title: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status},
        status_code=status,
        media_type="application/problem+json",
    )


def _item(item: dict[str, Any], status: int = 200, *, drop: str | None = None) -> JSONResponse:
    body = {k: v for k, v in item.items() if k != drop}
    return JSONResponse(body, status_code=status, headers={"ETag": f'"{item["version"]}"'})


async def _body(request: Request, required: set[str]) -> dict[str, Any] | None:
    try:
        data = await request.json()
    except ValueError:
        return None
    if not isinstance(data, dict) or not required <= data.keys():
        return None
    if set(data) - {"name", "price"}:
        return None
    name, price = data.get("name", "x"), data.get("price", 0)
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        return None
    if type(price) is not int or not 0 <= price <= 1000000:
        return None
    return data


@app.middleware("http")
async def bearer(request: Request, call_next: Any) -> Response:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return _problem(401, "Unauthorized")
    response: Response = await call_next(request)
    return response


@app.get("/items")
async def list_items(request: Request) -> Response:
    try:
        limit = int(request.query_params.get("limit", "50"))
    except ValueError:
        limit = 50
    items = list(_items.values())[: max(1, min(limit, 200))]
    return JSONResponse({"items": items, "next_cursor": None})


@app.post("/items")
async def create_item(request: Request) -> Response:
    key = request.headers.get("idempotency-key")
    raw = await request.body()
    if key and key in _replays and _replays[key][0] == raw:
        return _replays[key][1]
    data = await _body(request, {"name", "price"})
    if data is None:
        return _problem(422, "Invalid item")
    item = {"id": str(uuid.uuid4()), "name": data["name"], "price": data["price"], "version": 1}
    _items[item["id"]] = item
    response = _item(item, 200 if BUG == "create_status_200" else 201)
    if key:
        _replays[key] = (raw, response)
    return response


@app.get("/items/{item_id}")
async def get_item(item_id: str) -> Response:
    item = _items.get(item_id)
    if item is None:
        return _problem(404, "Not found")
    return _item(item, drop="price" if BUG == "get_item_without_price" else None)


@app.patch("/items/{item_id}")
async def update_item(item_id: str, request: Request) -> Response:
    item = _items.get(item_id)
    if item is None:
        return _problem(404, "Not found")
    if_match = request.headers.get("if-match")
    if if_match is not None and if_match != f'"{item["version"]}"':
        return _problem(412, "Precondition failed")
    data = await _body(request, set())
    if data is None:
        return _problem(422, "Invalid item")
    item.update(data)
    item["version"] += 1
    return _item(item)


def golden_cases(prefix: str = "") -> list[dict[str, Any]]:
    """The owner's golden suite for `SPEC` (as the JSON a project stores)."""
    return [
        {
            "name": f"{prefix}create then read",
            "steps": [
                {
                    "name": "create",
                    "operation_id": "create_item",
                    "body": {"name": "Widget {{$uuid}}", "price": 1250},
                    "expect_status": 201,
                },
                {
                    "name": "read",
                    "operation_id": "get_item",
                    "path_params": {"item_id": "{{create.body.id}}"},
                    "expect_status": 200,
                    "expect_body": {"body.name": "{{create.body.name}}", "body.price": 1250},
                },
            ],
        },
        {
            "name": f"{prefix}idempotent create replays",
            "steps": [
                {
                    "name": "create",
                    "operation_id": "create_item",
                    "idempotency_key": "{{$uuid}}",
                    "replay": True,
                    "body": {"name": "Replayed", "price": 5},
                    "expect_status": 201,
                }
            ],
        },
        {
            "name": f"{prefix}stale If-Match is refused",
            "steps": [
                {
                    "name": "create",
                    "operation_id": "create_item",
                    "body": {"name": "Versioned", "price": 1},
                    "expect_status": 201,
                },
                {
                    "name": "update",
                    "operation_id": "update_item",
                    "path_params": {"item_id": "{{create.body.id}}"},
                    "if_match": "{{create.headers.etag}}",
                    "body": {"price": 2},
                    "expect_status": 200,
                },
                {
                    "name": "stale",
                    "operation_id": "update_item",
                    "path_params": {"item_id": "{{create.body.id}}"},
                    "if_match": "{{create.headers.etag}}",
                    "body": {"price": 3},
                    "expect_status": [412, 409],
                },
            ],
        },
        {
            "name": f"{prefix}unknown item is 404",
            "steps": [
                {
                    "operation_id": "get_item",
                    "path_params": {"item_id": "no-such-item"},
                    "expect_status": 404,
                }
            ],
        },
        {
            "name": f"{prefix}list items",
            "steps": [{"operation_id": "list_items", "query": {"limit": 10}, "expect_status": 200}],
        },
    ]


@dataclass(frozen=True)
class Sandbox:
    """A sandbox process: where it listens and the token it wants."""

    url: str
    token: str


@contextlib.contextmanager
def serving(app: str, env: dict[str, str], probe: str = "/") -> Iterator[str]:
    """Run the ASGI `app` ("module:attribute") under uvicorn on a free loopback port, as
    its own process; yields its base URL once it answers `probe`."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
    cmd += ["--host", "127.0.0.1", "--log-level", "warning"]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a loaded machine starts python slowly
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read() if proc.stderr else b""
                raise RuntimeError(f"{app} exited: {err!r}")
            try:
                httpx.get(f"{url}{probe}", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running_sandbox(bug: str = "", token: str = TOKEN) -> Iterator[Sandbox]:
    env = {"WEFT_SANDBOX_BUG": bug, "WEFT_SANDBOX_TOKEN": token}
    with serving("tools.partner_sandbox:app", env, "/items") as url:
        yield Sandbox(url=url, token=token)
