"""The OpenAPI 3.1 `webhooks` section, from the same models producers emit.

`webhooks_openapi()` returns `(webhooks, schemas)`: one webhook per event type (a POST
whose body is the typed envelope, signed as Standard Webhooks) and the component schemas
they reference. `add_webhooks(spec)` puts both into a spec.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from libs.contracts.envelope import envelope_model
from libs.contracts.registry import event_models

REF_TEMPLATE = "#/components/schemas/{model}"

_SIGNATURE_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The event id; the same on every retry (deduplicate by it)",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds when this attempt was signed",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": (
            "Space-separated `v1,<base64 HMAC-SHA256>` over `id.timestamp.body` with the "
            "endpoint's `whsec_` secret (Standard Webhooks)"
        ),
        "schema": {"type": "string"},
    },
]


def _operation_id(event_type: str) -> str:
    return "on_" + event_type.replace(".", "_")


def webhooks_openapi(ref_template: str = REF_TEMPLATE) -> tuple[dict[str, Any], dict[str, Any]]:
    models = event_models()
    envelopes = {name: envelope_model(model) for name, model in models.items()}
    # one readable schema name per envelope: `LotGateReachedEvent`
    named = {
        name: type(f"{models[name].__name__}Event", (env,), {"__module__": env.__module__})
        for name, env in envelopes.items()
    }
    keyed, top = models_json_schema(
        [(m, "serialization") for m in named.values()], ref_template=ref_template
    )
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    webhooks: dict[str, Any] = {}
    for name, env in named.items():
        ref = keyed[(env, "serialization")]
        model = models[name]
        # `type` is fixed for each webhook
        schema_name = ref["$ref"].rsplit("/", 1)[-1]
        schemas[schema_name]["properties"]["type"] = {"const": name, "title": "Type"}
        webhooks[name] = {
            "post": {
                "operationId": _operation_id(name),
                "summary": name,
                "description": model.description
                or (model.__doc__ or "").strip()
                or f"An event of type {name}.",
                "tags": [name.split(".", 1)[0]],
                "parameters": _SIGNATURE_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref}},
                },
                "responses": {
                    "2XX": {"description": "Received; any 2xx acknowledges the delivery"},
                    "410": {"description": "Gone: sync disables the endpoint"},
                },
            }
        }
    return webhooks, schemas


def add_webhooks(spec: dict[str, Any]) -> dict[str, Any]:
    """Add every event type's webhook and schemas to an OpenAPI 3.1 document (in place)."""
    webhooks, schemas = webhooks_openapi()
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in schemas.items():
        components.setdefault(name, schema)
    spec.setdefault("webhooks", {}).update(webhooks)
    return spec
