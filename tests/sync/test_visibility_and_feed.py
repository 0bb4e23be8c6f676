"""Issue 7 in sync: the client visibility rule, declared event types only, the attempt
schema, and a forward event feed that never skips an event ingested late."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson

from tests.sync.conftest import TYPE, Receiver, TokenFor, ingest, make_event, subscribe, topic
from tools.stack import Stack


async def _bearer(token_for: TokenFor, email: str, tenant: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(email, tenant)}"}


async def test_a_client_sees_only_what_its_own_provider_made_for_it(
    stack: Stack,
    gateway: httpx.AsyncClient,
    token_for: TokenFor,
    receiver: Receiver,
    tenants: dict[str, str],
) -> None:
    brand = tenants["luxury-brand-x"]
    rogue_provider = str(uuid.uuid4())  # another provider naming Paco's brand as customer
    admin = await _bearer(token_for, "admin@luxurybrandx.example", "luxury-brand-x")
    viewer = await _bearer(token_for, "viewer@luxurybrandx.example", "luxury-brand-x")
    start = datetime.now(UTC)
    ep = await subscribe(gateway, admin, receiver.url("brand"), [TYPE])
    assert ep["scope"] == "customer"
    legit = make_event(TYPE, tenants["paco"], customer_tenant_id=brand)
    forged = make_event(TYPE, rogue_provider, customer_tenant_id=brand)
    await ingest(stack, [forged, legit])

    await receiver.wait_for("brand", lambda h: len(h) >= 1)
    await asyncio.sleep(0.5)
    assert receiver.unique_ids("brand") == {legit["id"]}
    listed = (
        await gateway.get(
            "/v1/sync/events", headers=viewer, params={"type": TYPE, "since": start.isoformat()}
        )
    ).json()["items"]
    assert [e["id"] for e in listed] == [legit["id"]]
    ascending = (
        await gateway.get(
            "/v1/sync/events",
            headers=viewer,
            params={"type": TYPE, "since": start.isoformat(), "order": "asc"},
        )
    ).json()["items"]
    assert [e["id"] for e in ascending] == [legit["id"]]
    assert (await gateway.get(f"/v1/sync/events/{forged['id']}", headers=viewer)).status_code == 404
    assert (await gateway.get(f"/v1/sync/events/{legit['id']}", headers=viewer)).status_code == 200
    # replaying the range to the brand's endpoint sends the legit event only
    resp = await gateway.post(
        f"/v1/sync/endpoints/{ep['id']}/replay",
        headers=admin,
        json={"since": (start - timedelta(seconds=5)).isoformat()},
    )
    assert resp.status_code == 200 and resp.json()["count"] == 1


async def test_subscriptions_name_event_types_that_exist(
    gateway: httpx.AsyncClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    for types in (
        ["production.lot.teleported"],
        ["nothing.*"],
        ["production.lot.gate_reached", "x.y"],
    ):
        resp = await gateway.post(
            "/v1/sync/endpoints",
            headers=admin_headers,
            json={"url": receiver.url("t"), "event_types": types},
        )
        assert resp.status_code == 422, resp.text
        assert resp.json()["code"] == "unknown_event_type"
    ep = await subscribe(
        gateway, admin_headers, receiver.url("t"), ["production.lot.*", "identity.tenant.created"]
    )
    resp = await gateway.patch(
        f"/v1/sync/endpoints/{ep['id']}",
        headers=admin_headers,
        json={"event_types": ["production.lots.*"]},
    )
    assert resp.status_code == 422 and resp.json()["code"] == "unknown_event_type"


async def test_attempts_carry_what_the_schema_documents(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
) -> None:
    ep = await subscribe(gateway, admin_headers, receiver.url("schema"), [TYPE])
    event = make_event(TYPE, tenants["paco"])
    await ingest(stack, [event])
    await receiver.wait_for("schema", lambda h: len(h) == 1)
    async with httpx.AsyncClient(timeout=20) as client:
        spec = (await client.get(f"{stack.service_url('sync')}/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for _ in range(50):
        items = (
            await gateway.get(f"/v1/sync/endpoints/{ep['id']}/attempts", headers=admin_headers)
        ).json()["items"]
        if items:
            break
        await asyncio.sleep(0.1)
    [attempt] = items
    assert set(attempt) == set(schemas["AttemptOut"]["properties"])
    assert attempt["message_id"] == event["id"]
    [delivery] = (
        await gateway.get(f"/v1/sync/endpoints/{ep['id']}/deliveries", headers=admin_headers)
    ).json()["items"]
    assert set(delivery) == set(schemas["DeliveryOut"]["properties"])


# --- the forward feed ----------------------------------------------------------------------


async def _page(
    gateway: httpx.AsyncClient, headers: dict[str, str], type_: str, after: str | None
) -> tuple[list[str], str | None]:
    params: dict[str, Any] = {"type": type_, "limit": 7}
    params.update({"after": after} if after else {"order": "asc"})
    resp = await gateway.get("/v1/sync/events", headers=headers, params=params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return [e["id"] for e in body["items"]], body["next_cursor"]


async def _insert_held(conn: asyncpg.Connection, event: dict[str, Any]) -> None:
    """An ingest whose transaction is still open (the caller commits it later)."""
    await conn.execute(
        "INSERT INTO sync.events (id, type, tenant_id, subject, occurred_at, data, source) "
        "VALUES ($1, $2, $3, $4, $5, $6, 'production')",
        uuid.UUID(event["id"]),
        event["type"],
        uuid.UUID(event["tenant_id"]),
        event["subject"],
        datetime.fromisoformat(event["occurred_at"]),
        orjson.dumps(event["data"]).decode(),
    )


async def test_the_forward_feed_waits_for_an_ingest_still_in_flight(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    tenants: dict[str, str],
) -> None:
    t = f"{topic()}.x"
    first = make_event(t, tenants["paco"])
    await ingest(stack, [first])
    ids, cursor = await _page(gateway, admin_headers, t, None)
    assert ids == [first["id"]] and cursor

    slow = make_event(t, tenants["paco"])
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        tx = conn.transaction()
        await tx.start()
        await _insert_held(conn, slow)
        fast = make_event(t, tenants["paco"])
        await ingest(stack, [fast])  # committed while the slow one is still in flight
        ids, again = await _page(gateway, admin_headers, t, cursor)
        assert ids == [] and again == cursor  # nothing past the ingest in flight
        await tx.commit()
    finally:
        await conn.close()
    ids, _ = await _page(gateway, admin_headers, t, cursor)
    assert ids == [slow["id"], fast["id"]]


async def test_a_forward_pager_never_skips_while_events_are_ingested(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    tenants: dict[str, str],
) -> None:
    t = f"{topic()}.x"
    sent: list[str] = []
    done = asyncio.Event()

    def event() -> dict[str, Any]:
        e = make_event(t, tenants["paco"])
        if random.random() < 0.3:  # a relay retry: an old event arriving late
            e["occurred_at"] = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
        sent.append(e["id"])
        return e

    async def relay() -> None:
        for _ in range(12):
            await ingest(stack, [event() for _ in range(random.randint(1, 3))])
            await asyncio.sleep(random.uniform(0, 0.05))

    async def slow_relay() -> None:
        conn = await asyncpg.connect(stack.admin_dsn())
        try:
            for _ in range(6):
                async with conn.transaction():
                    await _insert_held(conn, event())
                    await asyncio.sleep(random.uniform(0.05, 0.3))
        finally:
            await conn.close()

    seen: list[str] = []

    async def pager() -> None:
        """Pages forward until it has everything sent (a skipped event never comes)."""
        cursor: str | None = None
        while not (done.is_set() and set(seen) >= set(sent)):
            ids, cursor = await _page(gateway, admin_headers, t, cursor)
            seen.extend(ids)
            if not ids:
                await asyncio.sleep(0.02)
        # and nothing more after that
        ids, cursor = await _page(gateway, admin_headers, t, cursor)
        seen.extend(ids)

    reader = asyncio.create_task(pager())
    await asyncio.gather(relay(), relay(), relay(), slow_relay())
    done.set()
    await asyncio.wait_for(reader, 30)
    assert len(seen) == len(set(seen))  # nothing twice
    assert set(seen) == set(sent)  # nothing skipped
    assert len(sent) > 30
