"""Partner benchmarks: `python -m bench partner`.

1. The OpenAPI diff of two ~1 MB documents (generated: 300 resources, CRUD operations,
   shared component schemas), once with a few dozen scattered changes and once with every
   component schema changed, against the floor: the simplest diff, a plain recursive
   comparison of the same two dicts that lists the differing paths. Target: < 1 s.
"""

from __future__ import annotations

import copy
import statistics
import time
from typing import Any

import orjson

from services.partner.diff import diff_specs

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


def main() -> None:
    bench_diff()


if __name__ == "__main__":
    main()
