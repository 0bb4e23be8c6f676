"""A spec version as a Postman collection (format v2.1): one folder per tag, one request
per operation with its path variables, query parameters, headers and an example body."""

from __future__ import annotations

import re
from typing import Any

import orjson

from services.partner.diff.refs import Document
from services.partner.mocks.responder import METHODS, generate

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


def collection(doc: dict[str, Any], name: str, collection_id: str) -> dict[str, Any]:
    document = Document(doc)
    folders: dict[str, list[dict[str, Any]]] = {}
    for template, raw in (doc.get("paths") or {}).items():
        item = document.deref(raw)
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params = [
                document.deref(p) for p in [*item.get("parameters", []), *op.get("parameters", [])]
            ]
            params = [p for p in params if isinstance(p, dict)]
            request = _request(document, template, method, op, params)
            tag = (op.get("tags") or ["default"])[0]
            folders.setdefault(str(tag), []).append(
                {
                    "name": op.get("summary")
                    or op.get("operationId")
                    or f"{method.upper()} {template}",
                    "request": request,
                    "response": [],
                }
            )
    servers = doc.get("servers") or []
    base = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
    info = doc.get("info") or {}
    return {
        "info": {
            "_postman_id": collection_id,
            "name": name,
            "description": str(info.get("description") or info.get("title") or name),
            "schema": SCHEMA,
        },
        "item": [{"name": tag, "item": items} for tag, items in folders.items()],
        "variable": [{"key": "baseUrl", "value": base, "type": "string"}],
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}],
        },
    }


def _request(
    document: Document, template: str, method: str, op: dict[str, Any], params: list[dict[str, Any]]
) -> dict[str, Any]:
    segments = [re.sub(r"^\{(.+)\}$", r":\1", s) for s in template.split("/") if s]
    query = [
        {"key": p["name"], "value": "", "disabled": not p.get("required", False)}
        for p in params
        if p.get("in") == "query" and "name" in p
    ]
    variables = [
        {"key": p["name"], "value": ""} for p in params if p.get("in") == "path" and "name" in p
    ]
    headers = [
        {"key": p["name"], "value": "", "disabled": not p.get("required", False)}
        for p in params
        if p.get("in") == "header" and "name" in p
    ]
    raw_query = "&".join(f"{q['key']}=" for q in query if not q["disabled"])
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": headers,
        "url": {
            "raw": "{{baseUrl}}/" + "/".join(segments) + (f"?{raw_query}" if raw_query else ""),
            "host": ["{{baseUrl}}"],
            "path": segments,
            "query": query,
            "variable": variables,
        },
    }
    if op.get("description") or op.get("summary"):
        request["description"] = str(op.get("description") or op.get("summary"))
    body = document.deref(op.get("requestBody"))
    content = body.get("content") if isinstance(body, dict) else None
    if isinstance(content, dict) and content:
        media = next((m for m in content if "json" in m), next(iter(content)))
        spec = content[media] if isinstance(content[media], dict) else {}
        example = (
            spec["example"]
            if "example" in spec
            else generate(document, spec.get("schema"), 0, frozenset())
        )
        headers.append({"key": "Content-Type", "value": media})
        request["body"] = {
            "mode": "raw",
            "raw": orjson.dumps(example, option=orjson.OPT_INDENT_2).decode(),
            "options": {"raw": {"language": "json"}},
        }
    return request
