"""Ingest and the quality internal endpoint accept only correctly signed deliveries."""

from __future__ import annotations

import time
import uuid

import asyncpg
import httpx
import orjson
import pytest

from libs.common.webhooks import generate_secret, signed_headers
from libs.contracts.events.production import LotGateReached
from tests.sync.conftest import ingest, make_event, signed_batch, topic
from tools.stack import Stack

CASES = ["changed_body", "old_timestamp", "wrong_secret", "unknown_service", "no_headers"]


def _tamper(case: str, stack: Stack, secret_of: str, body: bytes) -> tuple[bytes, dict[str, str]]:
    secret = stack.secrets[f"service_secret_{secret_of}"]
    ts = int(time.time()) - (3600 if case == "old_timestamp" else 0)
    if case == "wrong_secret":
        secret = generate_secret()
    headers = signed_headers([secret], f"msg_{uuid.uuid4().hex}", body, timestamp=ts)
    if case == "changed_body":
        body = body.replace(b'"n":1', b'"n":2')
    if case == "no_headers":
        headers = {"content-type": "application/json"}
    return body, headers


@pytest.mark.parametrize("case", CASES)
async def test_ingest_rejects_bad_signatures(
    stack: Stack, tenants: dict[str, str], db: asyncpg.Connection, case: str
) -> None:
    event = make_event(f"{topic()}.x", tenants["paco"])
    body = orjson.dumps({"events": [event]})
    body, headers = _tamper(case, stack, "production", body)
    headers["X-Weft-Service"] = "nobody" if case == "unknown_service" else "production"
    async with httpx.AsyncClient() as client:
        resp = await client.post(
            f"{stack.service_url('sync')}/internal/events", content=body, headers=headers
        )
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "invalid_signature"
    assert (
        await db.fetchval("SELECT count(*) FROM sync.events WHERE id = $1", uuid.UUID(event["id"]))
        == 0
    )


@pytest.mark.parametrize("case", ["changed_body", "old_timestamp", "wrong_secret", "no_headers"])
async def test_quality_internal_endpoint_rejects_bad_signatures(
    stack: Stack, tenants: dict[str, str], case: str
) -> None:
    event = make_event(
        "production.lot.gate_reached",
        tenants["paco"],
        data={"n": 1, "gate": "qa_pending", "lot_id": str(uuid.uuid4())},
    )
    body, headers = _tamper(case, stack, "quality", orjson.dumps(event))
    async with httpx.AsyncClient() as client:
        resp = await client.post(
            f"{stack.service_url('quality')}/internal/events/production",
            content=body,
            headers=headers,
        )
    assert resp.status_code == 401, resp.text
    assert resp.json()["code"] == "invalid_signature"


async def test_quality_records_once_per_event(stack: Stack, tenants: dict[str, str]) -> None:
    lot = str(uuid.uuid4())
    event = make_event(
        "production.lot.gate_reached",
        tenants["paco"],
        subject=f"lots/{lot}",
        data=LotGateReached(
            lot_id=uuid.UUID(lot),
            lot_number="L-1",
            order_id=uuid.uuid4(),
            order_number="O-1",
            from_gate="in_production",
            to_gate="qa_pending",
            plant_id=uuid.uuid4(),
            quantity=3,
            product_sku="SKU-1",
            actor="user/1",
        ).payload(),
    )
    body = orjson.dumps(event)
    results = []
    async with httpx.AsyncClient() as client:
        for _ in range(2):
            headers = signed_headers([stack.secrets["service_secret_quality"]], event["id"], body)
            resp = await client.post(
                f"{stack.service_url('quality')}/internal/events/production",
                content=body,
                headers=headers,
            )
            assert resp.status_code == 200, resp.text
            results.append(resp.json()["status"])
    assert results == ["recorded", "duplicate"]


async def test_ingest_stores_each_event_once(
    stack: Stack, tenants: dict[str, str], db: asyncpg.Connection
) -> None:
    events = [make_event(f"{topic()}.x", tenants["paco"]) for _ in range(3)]
    first = await ingest(stack, events)
    again = await ingest(stack, events[:2])
    assert (first["accepted"], first["duplicates"]) == (3, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    ids = [uuid.UUID(e["id"]) for e in events]
    assert await db.fetchval("SELECT count(*) FROM sync.events WHERE id = ANY($1)", ids) == 3


async def test_ingest_refuses_a_malformed_batch(stack: Stack) -> None:
    body, headers = signed_batch(stack, [{"id": "not-a-uuid"}])
    async with httpx.AsyncClient() as client:
        resp = await client.post(
            f"{stack.service_url('sync')}/internal/events", content=body, headers=headers
        )
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_batch"


async def test_ingest_is_not_reachable_through_the_gateway(gateway: httpx.AsyncClient) -> None:
    resp = await gateway.post("/v1/sync/internal/events", content=b"{}")
    assert (resp.status_code, resp.json()["code"]) == (404, "not_found"), resp.text
