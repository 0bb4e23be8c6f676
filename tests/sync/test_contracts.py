"""libs.contracts: typed events, parsing, declared subscriptions and the OpenAPI webhooks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from openapi_spec_validator import validate

from libs.common.webhooks import signed_headers
from libs.contracts import (
    InvalidEvent,
    Subscription,
    UnknownEventType,
    event_models,
    event_types,
    parse_event,
    webhooks_openapi,
)
from libs.contracts.events.identity import TenantCreated
from libs.contracts.events.production import LotGateReached
from tools.stack import Stack

EMITTED_TODAY = {
    "production.lot.gate_reached",
    "production.order.status_changed",
    "production.stage.completed",
    "production.inventory.below_reorder_level",
    "identity.tenant.created",
    "identity.tenant.updated",
    "sync.endpoint.disabled",
}


def _lot(**over: Any) -> dict[str, Any]:
    data = {
        "schema_version": 1,
        "lot_id": str(uuid.uuid4()),
        "lot_number": "L-1",
        "order_id": str(uuid.uuid4()),
        "order_number": "O-1",
        "from": "in_production",
        "to": "qa_pending",
        "plant_id": str(uuid.uuid4()),
        "quantity": 10,
        "product_sku": "SKU-1",
        "actor": "user/1",
        "note": None,
    }
    return {**data, **over}


def _envelope(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "tenant_id": str(uuid.uuid4()),
        "subject": "lots/1",
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": data,
    }


def test_every_event_type_emitted_today_has_one_versioned_model() -> None:
    assert set(event_types()) >= EMITTED_TODAY
    assert not any(t.startswith("identity.mail.") for t in event_types())
    for name, model in event_models().items():
        assert model.event_type == name
        assert "schema_version" in model.model_fields


def test_a_delivery_parses_into_its_model_with_one_gate_spelling() -> None:
    raw = _envelope("production.lot.gate_reached", _lot())
    event = parse_event(orjson.dumps(raw))
    assert isinstance(event.data, LotGateReached)
    assert event.data.to_gate == "qa_pending" and event.data.from_gate == "in_production"
    assert str(event.data.lot_id) == raw["data"]["lot_id"]
    # the wire names stay `from` / `to`
    assert event.data.payload()["to"] == "qa_pending" and "to_gate" not in event.data.payload()


def test_unknown_types_and_bad_payloads_are_422() -> None:
    with pytest.raises(UnknownEventType) as unknown:
        parse_event(_envelope("production.lot.teleported", _lot()))
    assert (unknown.value.status, unknown.value.code) == (422, "unknown_event_type")
    with pytest.raises(InvalidEvent) as bad:
        parse_event(_envelope("production.lot.gate_reached", _lot(to="somewhere")))
    assert (bad.value.status, bad.value.code) == (422, "invalid_event")
    assert any(e["field"] == "data.to" for e in bad.value.extra["errors"])
    with pytest.raises(InvalidEvent):
        parse_event(b'{"id": "nope"}')


def test_a_model_refuses_a_value_outside_its_vocabulary() -> None:
    with pytest.raises(ValueError, match="must be one of"):
        TenantCreated(id=uuid.uuid4(), kind="galaxy", name="x", slug="x", version=1)


def test_a_subscription_names_only_declared_types_under_internal() -> None:
    Subscription("quality", "/internal/events/lots", [LotGateReached, "production.order.*"])
    with pytest.raises(ValueError, match=r"production\.lot\.teleported"):
        Subscription("quality", "/internal/events/lots", ["production.lot.teleported"])
    with pytest.raises(ValueError, match=r"nothing\.\*"):
        Subscription("quality", "/internal/events/lots", ["nothing.*"])
    with pytest.raises(ValueError, match="/internal/"):
        Subscription("quality", "/public/hook", [LotGateReached])


def test_the_webhooks_section_comes_from_the_models() -> None:
    webhooks, schemas = webhooks_openapi()
    assert set(webhooks) == set(event_types())
    hook = webhooks["production.lot.gate_reached"]["post"]
    ref = hook["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    envelope = schemas[ref.rsplit("/", 1)[-1]]
    assert envelope["properties"]["type"] == {
        "const": "production.lot.gate_reached",
        "title": "Type",
    }
    data = schemas[envelope["properties"]["data"]["$ref"].rsplit("/", 1)[-1]]
    assert data["properties"]["to"]["enum"][2] == "qa_pending"
    assert "schema_version" in data["properties"]
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "webhooks": webhooks,
        "components": {"schemas": schemas},
    }
    validate(doc)


async def test_sync_and_the_gateway_publish_the_webhooks(
    stack: Stack, gateway: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(timeout=20) as client:
        own = (await client.get(f"{stack.service_url('sync')}/openapi.json")).json()
    assert set(own["webhooks"]) >= EMITTED_TODAY
    validate(own)
    merged = (await gateway.get("/openapi.json")).json()
    assert set(merged.get("webhooks", {})) >= EMITTED_TODAY


# --- declared subscriptions: each consumer registers its own with sync --------------------


async def _register(
    stack: Stack, service: str, body: dict[str, Any], *, as_: str | None = None
) -> httpx.Response:
    raw = orjson.dumps(body)
    headers = signed_headers(
        [stack.secrets[f"service_secret_{as_ or service}"]], str(uuid.uuid4()), raw
    )
    headers["X-Weft-Service"] = as_ or service
    async with httpx.AsyncClient(timeout=20) as client:
        return await client.post(
            f"{stack.service_url('sync')}/internal/subscriptions", content=raw, headers=headers
        )


async def _internal(db: asyncpg.Connection, service: str) -> dict[str, Any]:
    rows = await db.fetch(
        "SELECT path, url, event_types, enabled FROM sync.endpoints "
        "WHERE kind = 'internal' AND service = $1",
        service,
    )
    return {r["path"]: r for r in rows}


async def test_quality_registered_its_declared_subscription(
    stack: Stack, db: asyncpg.Connection
) -> None:
    rows = await _internal(db, "quality")
    row = rows["/internal/events/production"]
    assert row["enabled"]
    assert sorted(row["event_types"]) == [
        "production.lot.gate_reached",
        "production.order.allocated",  # a passport's materials
    ]
    assert row["url"] == stack.service_url("quality") + "/internal/events/production"


async def test_a_service_holds_several_subscriptions_and_a_new_set_replaces_the_old(
    stack: Stack, db: asyncpg.Connection
) -> None:
    # partner is the guinea pig; whatever it declared itself is put back at the end
    before = [
        {"path": path, "event_types": list(r["event_types"])}
        for path, r in (await _internal(db, "partner")).items()
        if r["enabled"]
    ]
    try:
        await _replace_partner_subscriptions(stack, db)
    finally:
        resp = await _register(stack, "partner", {"service": "partner", "subscriptions": before})
        assert resp.status_code == 200, resp.text


async def _replace_partner_subscriptions(stack: Stack, db: asyncpg.Connection) -> None:
    two = {
        "service": "partner",
        "subscriptions": [
            {"path": "/internal/events/tenants", "event_types": ["identity.tenant.*"]},
            {"path": "/internal/events/lots", "event_types": ["production.lot.gate_reached"]},
        ],
    }
    resp = await _register(stack, "partner", two)
    assert resp.status_code == 200, resp.text
    rows = await _internal(db, "partner")
    assert {p for p, r in rows.items() if r["enabled"]} == {
        "/internal/events/tenants",
        "/internal/events/lots",
    }
    one = {"service": "partner", "subscriptions": [two["subscriptions"][0]]}
    resp = await _register(stack, "partner", one)
    assert resp.status_code == 200 and resp.json()["removed"] == ["/internal/events/lots"]
    rows = await _internal(db, "partner")
    assert rows["/internal/events/tenants"]["enabled"]
    assert not rows["/internal/events/lots"]["enabled"]
    resp = await _register(stack, "partner", {"service": "partner", "subscriptions": []})
    assert resp.status_code == 200
    assert not any(r["enabled"] for r in (await _internal(db, "partner")).values())


async def test_registration_refuses_unknown_types_foreign_services_and_bad_signatures(
    stack: Stack,
) -> None:
    bad = {
        "service": "partner",
        "subscriptions": [{"path": "/internal/x", "event_types": ["production.lot.teleported"]}],
    }
    resp = await _register(stack, "partner", bad)
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_subscriptions"
    theirs = {"service": "quality", "subscriptions": []}
    resp = await _register(stack, "quality", theirs, as_="partner")
    assert resp.status_code == 403 and resp.json()["code"] == "foreign_subscriptions"
    raw = orjson.dumps(theirs)
    headers = signed_headers(["whsec_" + "A" * 32], "x", raw)
    headers["X-Weft-Service"] = "quality"
    async with httpx.AsyncClient(timeout=20) as client:
        resp = await client.post(
            f"{stack.service_url('sync')}/internal/subscriptions", content=raw, headers=headers
        )
    assert resp.status_code == 401


async def test_quality_refuses_a_delivery_it_cannot_parse(stack: Stack) -> None:
    async def deliver(event: dict[str, Any]) -> httpx.Response:
        raw = orjson.dumps(event)
        headers = signed_headers([stack.secrets["service_secret_quality"]], event["id"], raw)
        async with httpx.AsyncClient(timeout=20) as client:
            return await client.post(
                f"{stack.service_url('quality')}/internal/events/production",
                content=raw,
                headers=headers,
            )

    unknown = await deliver(_envelope("production.lot.teleported", _lot()))
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_event_type"
    bad = await deliver(_envelope("production.lot.gate_reached", _lot(lot_id="not-a-uuid")))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_event"
    # quality keeps its copy of every lot gate (an approved lot stops awaiting inspection)
    other = await deliver(_envelope("production.lot.gate_reached", _lot(to="approved")))
    assert other.status_code == 200 and other.json()["status"] == "recorded"
