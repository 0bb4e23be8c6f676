"""Small OpenAPI documents for the tests: a base and variants."""

from __future__ import annotations

import copy
from typing import Any


def base_spec(version: str = "3.1.0") -> dict[str, Any]:
    order = {
        "type": "object",
        "required": ["id", "number"],
        "properties": {"id": {"type": "string"}, "number": {"type": "string"}},
    }
    ok = {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
    }
    return {
        "openapi": version,
        "info": {"title": "Orders", "version": "1.0.0"},
        "paths": {
            "/orders": {"get": {"operationId": "list_orders", "responses": {"200": ok}}},
            "/orders/{order_id}": {
                "get": {
                    "operationId": "get_order",
                    "parameters": [
                        {
                            "name": "order_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": ok},
                }
            },
        },
        "components": {"schemas": {"Order": order}},
    }


def without_path(spec: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(spec)
    del out["paths"][path]
    out["info"]["version"] = "2.0.0"
    return out
