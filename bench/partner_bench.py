"""Partner benchmarks: `python -m bench partner`.

1. The OpenAPI diff of two ~1 MB documents (generated: 300 resources, CRUD operations,
   shared component schemas), once with a few dozen scattered changes and once with every
   component schema changed, against the floor: the simplest diff, a plain recursive
   comparison of the same two dicts that lists the differing paths. Target: < 1 s.
2. Mock answer latency through the gateway (a validated GET answered from the spec's
   example, traced), p50 and p95 of sequential calls, against its floor: a minimal FastAPI
   app (a real uvicorn process, started like the services) answering the same canned
   response, called straight, in the same run; and beside them the service's one-row read
   (a project by id) through the gateway. On its own Weft (temporary state, demo seed).
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
from fastapi import FastAPI, Response

from bench.partner_runs import bench_golden_run
from bench.sync_bench import _spawn, _wait_http
from services.partner.diff import diff_specs
from tools.pg import free_port
from tools.run import bring_up
from tools.seed.identity import login
from tools.stack import Stack, make_stack

RESOURCES = 300


def _resource_schema(i: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "name", "state", "version"],
        "properties": {
            "id": {"type": "string", "format": "uuid", "readOnly": True},
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "state": {"type": "string", "enum": ["draft", "active", "archived"]},
            "version": {"type": "integer", "minimum": 1},
            "quantity": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
            "owner": {"$ref": "#/components/schemas/Owner"},
            "parent": {
                "anyOf": [
                    {"$ref": f"#/components/schemas/R{(i + 1) % RESOURCES}"},
                    {"type": "null"},
                ]
            },
            "notes": {"type": ["string", "null"], "description": "Free text " * 4},
            "created_at": {"type": "string", "format": "date-time", "readOnly": True},
            "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["sku", "qty"],
                    "properties": {
                        "sku": {"type": "string"},
                        "qty": {"type": "number", "exclusiveMinimum": 0},
                        "unit": {"type": "string", "enum": ["pcs", "kg", "m"]},
                    },
                },
            },
        },
    }


def make_spec() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Owner": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "email": {"type": "string"}},
        },
        "Problem": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
        },
    }
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for i in range(RESOURCES):
        ref = {"$ref": f"#/components/schemas/R{i}"}
        schemas[f"R{i}"] = _resource_schema(i)
        page = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": ref},
                "next_cursor": {"type": ["string", "null"]},
            },
        }
        ok = {"description": "ok", "content": {"application/json": {"schema": ref}}}
        errors = {
            "404": {"description": "not found", "content": problem},
            "422": {"description": "invalid", "content": problem},
        }
        body = {"required": True, "content": {"application/json": {"schema": ref}}}
        rid = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        paths[f"/r{i}"] = {
            "get": {
                "operationId": f"list_r{i}",
                "tags": [f"r{i}"],
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 200}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": page}}},
                    **errors,
                },
            },
            "post": {
                "operationId": f"create_r{i}",
                "tags": [f"r{i}"],
                "requestBody": body,
                "responses": {"201": ok, **errors},
            },
        }
        paths[f"/r{i}/{{id}}"] = {
            "parameters": [rid],
            "get": {"operationId": f"get_r{i}", "responses": {"200": ok, **errors}},
            "put": {
                "operationId": f"update_r{i}",
                "requestBody": body,
                "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": ok, **errors},
            },
            "delete": {
                "operationId": f"delete_r{i}",
                "responses": {"204": {"description": "gone"}, **errors},
            },
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "bench", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def scattered_changes(spec: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(spec)
    schemas, paths = new["components"]["schemas"], new["paths"]
    for i in range(0, RESOURCES, 20):
        props = schemas[f"R{i}"]["properties"]
        props["version"]["type"] = "string"
        del props["notes"]
        schemas[f"R{i}"]["required"].append("quantity")
        props["state"]["enum"].remove("archived")
        paths[f"/r{i}"]["get"]["parameters"].append(
            {"name": "site", "in": "query", "required": True, "schema": {"type": "string"}}
        )
        del paths[f"/r{i + 1}/{{id}}"]["delete"]
    return new


def every_schema_changed(spec: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(spec)
    for name, schema in new["components"]["schemas"].items():
        if name.startswith("R"):
            schema["properties"]["name"]["maxLength"] = 100
            schema["properties"]["lines"]["items"]["properties"]["unit"]["enum"].append("l")
    return new


def plain_diff(old: Any, new: Any, path: str = "", out: list[str] | None = None) -> list[str]:
    """The floor: the simplest diff, every path where the two trees differ."""
    found = out if out is not None else []
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            if key not in old or key not in new:
                found.append(f"{path}/{key}")
            else:
                plain_diff(old[key], new[key], f"{path}/{key}", found)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            plain_diff(a, b, f"{path}/{index}", found)
    elif old != new:
        found.append(path)
    return found


def _best(fn: Any, rounds: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_diff() -> None:
    old = make_spec()
    size = len(orjson.dumps(old))
    for label, new in (
        ("scattered changes", scattered_changes(old)),
        ("every schema changed", every_schema_changed(old)),
    ):
        # each round parses fresh dicts, as the service does with stored documents
        raw_old, raw_new = orjson.dumps(old), orjson.dumps(new)
        engine, report = _best(
            lambda a=raw_old, b=raw_new: diff_specs(orjson.loads(a), orjson.loads(b))
        )
        floor, plain = _best(
            lambda a=raw_old, b=raw_new: plain_diff(orjson.loads(a), orjson.loads(b))
        )
        print(
            f"diff, {label}: {size / 1e6:.2f} MB vs {len(raw_new) / 1e6:.2f} MB: "
            f"engine {engine * 1000:.0f} ms ({report.summary.breaking} breaking, "
            f"{report.summary.warning} warning, {report.summary.info} info) | floor, plain "
            f"recursive comparison: {floor * 1000:.0f} ms ({len(plain)} differing paths) | "
            f"ratio {engine / floor:.1f}x | target < 1000 ms: "
            f"{'met' if engine < 1 else 'MISSED'}",
            flush=True,
        )


PT = "/v1/partner"
CALLS = 300
MOCKED: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Bench", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "operationId": "list_items",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"example": [{"id": 1, "name": "a"}]}},
                    }
                },
            }
        }
    },
}


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    if resp.status_code != status:
        raise RuntimeError(f"{resp.request.method} {resp.request.url}: {resp.status_code}")
    return resp.json() if resp.content else {}


async def _timed(gw: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[float]:
    for _ in range(20):  # warm: connections, caches, the mock's validator
        _ok(await gw.get(url, headers=headers))
    times = []
    for _ in range(CALLS):
        start = time.perf_counter()
        _ok(await gw.get(url, headers=headers))
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


ROOT = Path(__file__).resolve().parent.parent
FLOOR_BODY = "PARTNER_BENCH_FLOOR_BODY"


def floor_app() -> FastAPI:
    """The floor: the least a server can do to give the mock's answer, the canned body."""
    body = os.environ[FLOOR_BODY].encode()
    app = FastAPI()

    @app.get("/items")
    async def items() -> Response:
        return Response(body, media_type="application/json")

    return app


def start_floor(body: bytes, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WEFT_")},
        "PYTHONPATH": str(ROOT),
        FLOOR_BODY: body.decode(),
    }
    # started like the services (tools.stack): uvicorn, uvloop, httptools, no access log
    flags = ["--host", "127.0.0.1", "--no-access-log", "--loop", "uvloop", "--http", "httptools"]
    app = "bench.partner_bench:floor_app"
    cmd = [sys.executable, "-m", "uvicorn", "--factory", app, *flags, "--port", str(port)]
    proc = _spawn(cmd, env, log)
    try:
        _wait_http(f"http://127.0.0.1:{port}/items", timeout=30)
    except RuntimeError:
        proc.kill()
        raise
    return proc


async def bench_mock(stack: Stack, admin: dict[str, str], state: Path) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as gw:
        tag = uuid.uuid4().hex[:10]
        tenant = _ok(
            await gw.post(
                "/v1/identity/tenants",
                headers=admin,
                json={"name": f"Bench partner {tag}", "slug": f"b-{tag}"},
            ),
            201,
        )
        partner = _ok(
            await gw.post(
                f"{PT}/partners", headers=admin, json={"name": "Bench", "tenant_id": tenant["id"]}
            ),
            201,
        )
        # the owner's blueprint with the mocked spec; the partner's project starts from it
        blueprint = _ok(
            await gw.post(f"{PT}/projects", headers=admin, json={"name": f"Bench {tag}"}), 201
        )
        _ok(
            await gw.post(f"{PT}/projects/{blueprint['id']}/specs", headers=admin, json=MOCKED),
            201,
        )
        project = _ok(
            await gw.post(
                f"{PT}/partners/{partner['id']}/projects",
                headers=admin,
                json={"name": "P", "blueprint_id": blueprint["id"]},
            ),
            201,
        )
        [version] = _ok(await gw.get(f"{PT}/projects/{project['id']}/specs", headers=admin))[
            "items"
        ]
        mock = _ok(
            await gw.post(
                f"{PT}/projects/{project['id']}/mocks",
                headers=admin,
                json={"spec_version_id": version["id"]},
            ),
            201,
        )
        url = f"{mock['base_path']}/items?limit=5"
        canned = (await gw.get(url, headers=admin)).content
        answers = await _timed(gw, url, admin)
        reads = await _timed(gw, f"{PT}/projects/{project['id']}", admin)
    port = free_port()
    floor_proc = start_floor(canned, port, state / "partner-floor.log")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as direct:
            assert (await direct.get("/items?limit=5")).content == canned
            floors = await _timed(direct, "/items?limit=5", {})
    finally:
        floor_proc.terminate()
        floor_proc.wait(timeout=10)

    def p(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))]

    print(
        f"mock answer via gateway ({CALLS} sequential, token checked, validated, traced): "
        f"p50 {p(answers, 0.5):.1f} ms, p95 {p(answers, 0.95):.1f} ms | floor, a minimal "
        f"FastAPI app answering the same canned response ({len(canned)} bytes), called "
        f"straight: p50 {p(floors, 0.5):.1f} ms, p95 {p(floors, 0.95):.1f} ms | ratio "
        f"p50 {p(answers, 0.5) / p(floors, 0.5):.1f}x, p95 {p(answers, 0.95) / p(floors, 0.95):.1f}x"
        f" | beside it, the service's one-row read (project by id) via gateway: "
        f"p50 {p(reads, 0.5):.1f} ms, p95 {p(reads, 0.95):.1f} ms",
        flush=True,
    )


def main() -> None:
    bench_diff()
    bench_golden_run()  # 200 golden cases against the local sandbox (bench/partner_runs.py)
    state = Path(tempfile.mkdtemp(prefix="weft-bench-partner-"))
    stack = make_stack(state, fixed_ports=False, environment="test")
    try:
        seed = bring_up(stack, seed=True)
        assert seed is not None
        admin = {"Authorization": f"Bearer {login(seed, 'admin@paco.example', 'paco')}"}
        asyncio.run(bench_mock(stack, admin, state))
    finally:
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
