"""Tenant webhooks: subscribe through the gateway, signed delivery, retries, dead letter."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from standardwebhooks.webhooks import Webhook

from tests.sync.conftest import TYPE, Hit, Receiver, TokenFor, ingest, make_event, subscribe, topic
from tools.stack import Stack


async def _deliveries(db: asyncpg.Connection, endpoint_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT event_id, status, attempts FROM sync.deliveries WHERE endpoint_id = $1",
        uuid.UUID(endpoint_id),
    )


async def _wait_status(
    db: asyncpg.Connection, endpoint_id: str, status: str, count: int, wait: float = 30
) -> list[asyncpg.Record]:
    deadline = asyncio.get_running_loop().time() + wait
    rows: list[asyncpg.Record] = []
    while asyncio.get_running_loop().time() < deadline:
        rows = await _deliveries(db, endpoint_id)
        if len(rows) == count and all(r["status"] == status for r in rows):
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"deliveries not all {status}: {[dict(r) for r in rows]}")


async def test_subscribe_and_receive_signed_deliveries(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    start = datetime.now(UTC)
    ep = await subscribe(gateway, admin_headers, receiver.url("a"), [TYPE])
    assert ep["secret"].startswith("whsec_")
    got = await gateway.get(f"/v1/sync/endpoints/{ep['id']}", headers=admin_headers)
    assert got.status_code == 200 and "secret" not in got.json()

    wanted = [make_event(TYPE, tenants["paco"]) for _ in range(3)]
    ignored = make_event(f"{topic()}.other", tenants["paco"])
    await ingest(stack, [*wanted, ignored])
    hits = await receiver.wait_for("a", lambda h: len(h) >= 3)
    wh = Webhook(ep["secret"])
    for hit in hits:
        payload = wh.verify(hit.body, hit.headers)
        assert hit.webhook_id == payload["id"]
        assert set(payload) >= {"id", "type", "tenant_id", "subject", "occurred_at", "data"}
    assert receiver.unique_ids("a") == {e["id"] for e in wanted}
    await _wait_status(db, ep["id"], "succeeded", 3)

    attempts = await gateway.get(f"/v1/sync/endpoints/{ep['id']}/attempts", headers=admin_headers)
    assert attempts.status_code == 200
    items = attempts.json()["items"]
    assert len(items) == 3 and all(a["status_code"] == 200 for a in items)
    assert all(a["latency_ms"] >= 0 and a["response_body"] == '{"ok":true}' for a in items)
    by_msg = await gateway.get(
        f"/v1/sync/messages/{wanted[0]['id']}/attempts", headers=admin_headers
    )
    assert [a["message_id"] for a in by_msg.json()["items"]] == [wanted[0]["id"]]

    events = await gateway.get(
        "/v1/sync/events",
        headers=admin_headers,
        params={"type": TYPE, "since": start.isoformat(), "limit": 2},
    )
    assert events.status_code == 200
    page = events.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await gateway.get(
        "/v1/sync/events",
        headers=admin_headers,
        params={"type": TYPE, "since": start.isoformat(), "cursor": page["next_cursor"]},
    )
    assert {e["id"] for e in page["items"] + rest.json()["items"]} == {e["id"] for e in wanted}


async def test_receiver_down_then_up_loses_nothing(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    receiver = Receiver()
    ep = await subscribe(gateway, admin_headers, receiver.url("down"), [TYPE])
    events = [make_event(TYPE, tenants["paco"]) for _ in range(10)]
    await ingest(stack, events)  # nobody listens yet: connection refused, retried
    await asyncio.sleep(1.5)
    await receiver.start()
    try:
        await receiver.wait_for(
            "down", lambda h: {x.webhook_id for x in h} >= {e["id"] for e in events}, wait=30
        )
        rows = await _wait_status(db, ep["id"], "succeeded", 10)
        # failures were recorded (the breaker opened after a few, sparing the rest)
        assert sum(r["attempts"] for r in rows) > 10
        assert (
            await db.fetchval(
                "SELECT count(*) FROM sync.attempts WHERE endpoint_id = $1 AND NOT success",
                uuid.UUID(ep["id"]),
            )
            >= 1
        )
    finally:
        await receiver.stop()


async def test_gone_disables_the_endpoint_and_tells_the_tenant(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    receiver.behaviours["gone"] = lambda _h, _n: (410, {}, 0.0)
    ep = await subscribe(gateway, admin_headers, receiver.url("gone"), [TYPE])
    await ingest(stack, [make_event(TYPE, tenants["paco"])])
    await receiver.wait_for("gone", lambda h: len(h) == 1)
    await _wait_status(db, ep["id"], "failed", 1)
    got = (await gateway.get(f"/v1/sync/endpoints/{ep['id']}", headers=admin_headers)).json()
    assert got["enabled"] is False and got["disabled_reason"] == "gone"
    events = (
        await gateway.get(
            "/v1/sync/events", headers=admin_headers, params={"type": "sync.endpoint.disabled"}
        )
    ).json()["items"]
    assert any(e["data"]["endpoint_id"] == ep["id"] for e in events)
    # nothing more goes to a disabled endpoint
    await ingest(stack, [make_event(TYPE, tenants["paco"])])
    await asyncio.sleep(0.5)
    assert len(receiver.hits["gone"]) == 1


async def test_retry_after_is_honoured(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
) -> None:

    def busy_once(_h: Hit, n: int) -> tuple[int, dict[str, str], float]:
        return (429, {"Retry-After": "2"}, 0.0) if n == 1 else (200, {}, 0.0)

    receiver.behaviours["busy"] = busy_once
    await subscribe(gateway, admin_headers, receiver.url("busy"), [TYPE])
    await ingest(stack, [make_event(TYPE, tenants["paco"])])
    hits = await receiver.wait_for("busy", lambda h: len(h) >= 2, wait=15)
    # the schedule alone would retry after 0.3 s; Retry-After asked for 2 s
    assert hits[1].at - hits[0].at >= 1.9
    assert hits[0].webhook_id == hits[1].webhook_id
    assert hits[0].headers["webhook-signature"] != hits[1].headers["webhook-signature"]


async def test_dead_letter_then_recover(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    receiver.behaviours["dead"] = lambda _h, _n: (500, {}, 0.0)
    ep = await subscribe(gateway, admin_headers, receiver.url("dead"), [TYPE])
    started = datetime.now(UTC) - timedelta(seconds=5)
    events = [make_event(TYPE, tenants["paco"]) for _ in range(2)]
    await ingest(stack, events)
    rows = await _wait_status(db, ep["id"], "failed", 2, wait=40)
    schedule_len = 8  # tools/stack.py test schedule
    assert all(r["attempts"] == schedule_len for r in rows)
    failed = (
        await gateway.get(
            f"/v1/sync/endpoints/{ep['id']}/deliveries",
            headers=admin_headers,
            params={"status": "failed"},
        )
    ).json()
    assert len(failed["items"]) == 2

    receiver.behaviours["dead"] = lambda _h, _n: (200, {}, 0.0)
    resp = await gateway.post(
        f"/v1/sync/endpoints/{ep['id']}/recover",
        headers=admin_headers,
        json={"since": started.isoformat()},
    )
    assert resp.status_code == 200 and resp.json()["count"] == 2
    await _wait_status(db, ep["id"], "succeeded", 2)
    assert len(await _deliveries(db, ep["id"])) == 2  # one ledger row per message


async def test_secret_rotation_signs_with_both(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
) -> None:
    ep = await subscribe(gateway, admin_headers, receiver.url("rot"), [TYPE])
    resp = await gateway.post(f"/v1/sync/endpoints/{ep['id']}/rotate-secret", headers=admin_headers)
    assert resp.status_code == 200
    new_secret = resp.json()["secret"]
    assert new_secret != ep["secret"]
    await ingest(stack, [make_event(TYPE, tenants["paco"])])
    [hit] = await receiver.wait_for("rot", lambda h: len(h) == 1)
    assert len(hit.headers["webhook-signature"].split()) == 2
    Webhook(ep["secret"]).verify(hit.body, hit.headers)
    Webhook(new_secret).verify(hit.body, hit.headers)


async def test_test_event_resend_and_replay(
    stack: Stack,
    gateway: httpx.AsyncClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    tenants: dict[str, str],
) -> None:
    ep = await subscribe(gateway, admin_headers, receiver.url("ops"), [TYPE])
    resp = await gateway.post(f"/v1/sync/endpoints/{ep['id']}/test", headers=admin_headers)
    assert resp.status_code == 202
    test_id = resp.json()["message_id"]
    [hit] = await receiver.wait_for("ops", lambda h: len(h) == 1)
    assert Webhook(ep["secret"]).verify(hit.body, hit.headers)["type"] == "webhook.test"
    assert hit.webhook_id == test_id

    since = datetime.now(UTC)  # after the test message, which is of the same type
    event = make_event(TYPE, tenants["paco"])
    await ingest(stack, [event])
    await receiver.wait_for("ops", lambda h: len(h) == 2)
    resp = await gateway.post(
        f"/v1/sync/messages/{event['id']}/resend",
        headers=admin_headers,
        json={"endpoint_id": ep["id"]},
    )
    assert resp.status_code == 202
    await receiver.wait_for("ops", lambda h: len(h) == 3)
    resp = await gateway.post(
        f"/v1/sync/endpoints/{ep['id']}/replay",
        headers=admin_headers,
        json={"since": since.isoformat()},
    )
    assert resp.status_code == 200 and resp.json()["count"] == 1
    hits = await receiver.wait_for("ops", lambda h: len(h) == 4)
    assert [h.webhook_id for h in hits[1:]] == [event["id"]] * 3


async def test_client_admin_gets_only_events_made_for_its_tenant(
    stack: Stack,
    gateway: httpx.AsyncClient,
    token_for: TokenFor,
    receiver: Receiver,
    tenants: dict[str, str],
) -> None:
    headers = {
        "Authorization": f"Bearer {await token_for('admin@luxurybrandx.example', 'luxury-brand-x')}"
    }
    start = datetime.now(UTC)
    ep = await subscribe(gateway, headers, receiver.url("brand"), [TYPE])
    assert ep["scope"] == "customer"
    mine = make_event(TYPE, tenants["paco"], customer_tenant_id=tenants["luxury-brand-x"])
    other = make_event(TYPE, tenants["paco"], customer_tenant_id=tenants["maison-y"])
    internal = make_event(TYPE, tenants["paco"])
    await ingest(stack, [mine, other, internal])
    await receiver.wait_for("brand", lambda h: len(h) >= 1)
    await asyncio.sleep(0.5)
    assert receiver.unique_ids("brand") == {mine["id"]}
    viewer = {
        "Authorization": f"Bearer {await token_for('viewer@luxurybrandx.example', 'luxury-brand-x')}"
    }
    listed = (
        await gateway.get(
            "/v1/sync/events", headers=viewer, params={"type": TYPE, "since": start.isoformat()}
        )
    ).json()["items"]
    assert [e["id"] for e in listed] == [mine["id"]]
    denied = await gateway.post(
        "/v1/sync/endpoints", headers=viewer, json={"url": receiver.url("x"), "event_types": ["*"]}
    )
    assert denied.status_code == 403


async def test_url_rules(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    for url in ("ftp://example.com/hook", "https://user:pw@example.com/hook", "notaurl"):
        resp = await gateway.post(
            "/v1/sync/endpoints", headers=admin_headers, json={"url": url, "event_types": ["*"]}
        )
        assert resp.status_code == 422, url
    resp = await gateway.post(
        "/v1/sync/endpoints",
        headers=admin_headers,
        json={"url": "https://example.com/h", "event_types": ["Bad Type"]},
    )
    assert resp.status_code == 422
