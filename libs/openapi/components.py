"""The reusable parameters and headers every Weft document declares (ARCHITECTURE.md 5)."""

from __future__ import annotations

from typing import Any

PARAM_REF = "#/components/parameters/"
HEADER_REF = "#/components/headers/"

PARAMETERS: dict[str, dict[str, Any]] = {
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": (
            "Makes a POST safe to retry: the same key with the same request replays the "
            "stored response (`Idempotent-Replayed: true`); with another request it is 422 "
            "`idempotency_key_reused`; while the first is still running it is 409 "
            "`idempotency_in_flight`. Keys are scoped to the tenant and caller."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": (
            "The ETag of the version this write is based on; 412 `version_mismatch` when "
            "the resource has changed since."
        ),
        "schema": {"type": "string"},
    },
}

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The version of the resource, for If-Match on the next write.",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The public path of the created resource.",
        "schema": {"type": "string"},
    },
    "IdempotentReplayed": {
        "description": "`true` when this is the stored response of an earlier request "
        "with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "RetryAfter": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit": {
        "description": "The caller's remaining quota (IETF draft RateLimit header).",
        "schema": {"type": "string"},
    },
    "RateLimitPolicy": {
        "description": "The quota policies that apply (IETF draft RateLimit-Policy header).",
        "schema": {"type": "string"},
    },
}


def param_ref(name: str) -> dict[str, str]:
    return {"$ref": PARAM_REF + name}


def header_ref(name: str) -> dict[str, str]:
    return {"$ref": HEADER_REF + name}
