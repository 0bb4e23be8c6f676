"""Offline op replay on production: a device's queued shop-floor writes, in one batch."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from tests.production.conftest import Factory, ok
from tests.production.test_domain_rules import user_id
from tests.production.test_work import STAGES
from tools.stack import Stack


async def _started_order(factory: Factory, stack: Stack) -> dict[str, Any]:
    """A production order of two stages, the first assigned to the operator."""
    c, h = factory.c, factory.h
    plant = await factory.plant()
    sku = factory.sku(f"M{uuid.uuid4().hex[:4]}")
    await factory.item(plant["id"], sku, "100")
    p = await factory.product(
        factory.sku(f"P{uuid.uuid4().hex[:4]}"), [{"sku": sku, "quantity": 1}], stages=STAGES
    )
    due = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    order = await factory.order(plant["id"], p["id"], 5, due=due)
    ok(await c.post(f"/orders/{order['id']}/allocate", headers=h))
    po = ok(await c.post("/production-orders", json={"order_id": order["id"]}, headers=h), 201)
    operator = await user_id(stack, factory.tokens["operator"])
    s1, s2 = po["stages"]
    base = f"/production-orders/{po['id']}/stages"
    ok(await c.post(f"{base}/{s1['id']}/assign", json={"operator": operator}, headers=h))
    # The planner reassigns stage 2 while the device is offline: its version moves on.
    ok(await c.post(f"{base}/{s2['id']}/assign", json={"operator": operator}, headers=h))
    return {"po": po["id"], "s1": s1["id"], "s2": s2["id"], "base": base}


NOW = datetime.now(UTC).replace(microsecond=0)


def _ops(o: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    """What the device queued, in its own order (seq), against what it last saw."""
    base, s1, s2 = o["base"], o["s1"], o["s2"]
    t0 = (NOW - timedelta(minutes=30)).isoformat()
    t1 = (NOW - timedelta(minutes=5)).isoformat()
    clock_in = {
        "seq": 2,
        "idempotency_key": f"{tag}-2",
        "method": "POST",
        "path": f"{base}/{s1}/clock-in",
        "body": {"clocked_at": t0},
    }
    return [
        # stage 1 was version 2 after its assignment
        {
            "seq": 1,
            "idempotency_key": f"{tag}-1",
            "method": "POST",
            "path": f"{base}/{s1}/start",
            "if_match": '"2"',
        },
        clock_in,
        {
            "seq": 3,
            "idempotency_key": f"{tag}-3",
            "method": "POST",
            "path": f"{base}/{s1}/parameters",
            "body": {"actuals": [{"name": "glue temperature", "value": "181"}]},
            "if_match": '"3"',
        },
        {**clock_in, "seq": 4},  # the device sent it twice: a duplicate
        # stage 2 as the device saw it (version 1): the planner has moved it on
        {
            "seq": 5,
            "idempotency_key": f"{tag}-5",
            "method": "POST",
            "path": f"{base}/{s2}/block",
            "body": {"reason": "no glue"},
            "if_match": "1",
        },
        # invalid: actuals must be a list
        {
            "seq": 6,
            "idempotency_key": f"{tag}-6",
            "method": "POST",
            "path": f"{base}/{s1}/parameters",
            "body": {"actuals": "hot"},
        },
        # the operator may execute, never plan: the route's own permission refuses it
        {
            "seq": 7,
            "idempotency_key": f"{tag}-7",
            "method": "POST",
            "path": f"{base}/{s1}/assign",
            "body": {"operator": "someone"},
        },
        {
            "seq": 8,
            "idempotency_key": f"{tag}-8",
            "method": "POST",
            "path": f"{base}/{s1}/clock-out",
            "body": {"clocked_at": t1},
        },
    ]


async def _counters(factory: Factory) -> dict[str, float]:
    text = (await factory.c.get("/metrics")).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("weft_replay_ops_total{"):
            name, _, value = line.partition(" ")
            out[name.split('"')[1]] = float(value)
    return out


async def _state(factory: Factory, po_id: str) -> dict[str, Any]:
    c, h = factory.c, factory.h
    po = ok(await c.get(f"/production-orders/{po_id}", headers=h))
    writes = ok(await c.get(f"/production-orders/{po_id}/labour/writes", headers=h))
    labour = ok(await c.get(f"/production-orders/{po_id}/labour", headers=h))
    return {
        "status": po["status"],
        "stages": [
            (s["seq"], s["status"], s["version"], s["actuals"], s["blocked_reason"])
            for s in po["stages"]
        ],
        "writes": sorted((w["kind"], w["outcome"], w["clocked_at"]) for w in writes["items"]),
        "labour": (labour["open_entries"], labour["total_minutes"]),
    }


async def test_replay_twice_out_of_order_equals_one_in_order_replay(
    factory: Factory, stack: Stack
) -> None:
    c = factory.c
    op_h = factory.tokens.headers("operator")
    batch_order = await _started_order(factory, stack)
    ops = _ops(batch_order, uuid.uuid4().hex)
    shuffled = ops[:]
    random.Random(7).shuffle(shuffled)
    assert [o["seq"] for o in shuffled] != sorted(o["seq"] for o in shuffled)

    before = await _counters(factory)
    first = ok(await c.post("/replay", json={"ops": shuffled}, headers=op_h))
    after = await _counters(factory)
    # the service counts what it replayed (its /metrics, for the scraper)
    assert {k: after[k] - before.get(k, 0) for k in after} == {
        "applied": 4,
        "duplicate": 1,
        "conflict": 1,
        "rejected": 2,
    }
    by_seq = {r["seq"]: r for r in first["results"]}
    assert [r["seq"] for r in first["results"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert {s: r["outcome"] for s, r in by_seq.items()} == {
        1: "applied",
        2: "applied",
        3: "applied",
        4: "duplicate",
        5: "conflict",
        6: "rejected",
        7: "rejected",
        8: "applied",
    }
    assert by_seq[1]["body"]["status"] == "active" and by_seq[1]["etag"] == '"3"'
    assert by_seq[4]["status"] == 201 and by_seq[4]["body"] == by_seq[2]["body"]
    conflict = by_seq[5]
    assert conflict["status"] == 409 and conflict["body"]["code"] == "version_mismatch"
    assert conflict["current"]["id"] == batch_order["s2"] and conflict["current"]["version"] == 2
    assert by_seq[6]["status"] == 422 and by_seq[6]["body"]["code"] == "validation_failed"
    assert by_seq[7]["status"] == 403 and by_seq[7]["body"]["code"] == "missing_permission"
    assert by_seq[8]["body"]["ended_at"] is not None
    assert first["counts"] == {"applied": 4, "duplicate": 1, "conflict": 1, "rejected": 2}
    after_first = await _state(factory, batch_order["po"])

    random.Random(8).shuffle(shuffled)
    second = ok(await c.post("/replay", json={"ops": shuffled}, headers=op_h))
    again = {r["seq"]: r["outcome"] for r in second["results"]}
    # what was kept replays; the conflict is still one (nothing was stored for it)
    assert again == {
        1: "duplicate",
        2: "duplicate",
        3: "duplicate",
        4: "duplicate",
        5: "conflict",
        6: "duplicate",
        7: "duplicate",
        8: "duplicate",
    }
    assert {r["seq"]: r["status"] for r in second["results"]} == {
        s: r["status"] for s, r in by_seq.items()
    }
    assert await _state(factory, batch_order["po"]) == after_first

    # The same ops, one request each, in order, on a twin production order.
    twin = await _started_order(factory, stack)
    tag = uuid.uuid4().hex
    for op in _ops(twin, tag):
        headers = {**op_h, "Idempotency-Key": op["idempotency_key"]}
        if op.get("if_match"):
            m = op["if_match"]
            headers["If-Match"] = m if m.startswith('"') else f'"{m}"'
        await c.request(op["method"], op["path"], json=op.get("body"), headers=headers)
    assert await _state(factory, twin["po"]) == after_first


async def test_replay_answers_for_every_op_and_checks_the_batch(
    factory: Factory, stack: Stack
) -> None:
    c = factory.c
    op_h = factory.tokens.headers("operator")
    o = await _started_order(factory, stack)
    tag = uuid.uuid4().hex
    ops = [
        # another tenant's or an unknown production order: the route's own 404
        {
            "seq": 1,
            "idempotency_key": f"{tag}-1",
            "method": "POST",
            "path": f"/production-orders/{uuid.uuid4()}/stages/{o['s1']}/start",
        },
        {"seq": 2, "idempotency_key": f"{tag}-2", "method": "POST", "path": "/replay", "body": {}},
        {
            "seq": 3,
            "idempotency_key": f"{tag}-3",
            "method": "POST",
            "path": f"/v1/production{o['base']}/{o['s1']}/start",
        },
    ]
    got = ok(await c.post("/replay", json={"ops": ops}, headers=op_h))
    assert [(r["outcome"], r["status"]) for r in got["results"]] == [
        ("rejected", 404),
        ("rejected", 422),
        ("rejected", 404),  # the public prefix only when the gateway says it is one
    ]
    gw_h = {**op_h, "X-Forwarded-Prefix": "/v1/production"}
    via_gateway = {**ops[2], "idempotency_key": f"{tag}-4"}
    got = ok(await c.post("/replay", json={"ops": [via_gateway]}, headers=gw_h))
    assert got["results"][0]["outcome"] == "applied"
    # The same key with another op is refused, as for a single request.
    reused = [{**via_gateway, "path": f"{o['base']}/{o['s2']}/start"}]
    got = ok(await c.post("/replay", json={"ops": reused}, headers=op_h))
    assert got["results"][0]["body"]["code"] == "idempotency_key_reused"
    # A client (brand) token is refused at the batch, before any op.
    r = await c.post("/replay", json={"ops": ops}, headers=factory.tokens.headers("lbx"))
    assert r.status_code == 403 and r.json()["code"] == "wrong_space"
    r = await c.post("/replay", json={"ops": []}, headers=op_h)
    assert r.status_code == 422


async def test_labour_clock_is_last_write_wins_by_the_time_the_worker_clocked(
    factory: Factory, stack: Stack
) -> None:
    c, h = factory.c, factory.h
    op_h = factory.tokens.headers("operator")
    o = await _started_order(factory, stack)
    base, s1 = o["base"], o["s1"]
    ok(await c.post(f"{base}/{s1}/start", headers=op_h))
    now = datetime.now(UTC)

    def at(minutes: int) -> dict[str, str]:
        return {"clocked_at": (now - timedelta(minutes=minutes)).isoformat()}

    first = ok(await c.post(f"{base}/{s1}/clock-in", json=at(40), headers=op_h), 201)
    # a second device clocked in later: the later clock wins
    later = ok(await c.post(f"{base}/{s1}/clock-in", json=at(30), headers=op_h), 201)
    assert later["id"] == first["id"] and later["write_outcome"] == "applied"
    # a third, earlier: it loses, and is kept
    lost = ok(await c.post(f"{base}/{s1}/clock-in", json=at(50), headers=op_h), 201)
    assert lost["write_outcome"] == "superseded"
    assert lost["started_at"] == later["started_at"]
    out = ok(await c.post(f"{base}/{s1}/clock-out", json=at(10), headers=op_h))
    assert out["ended_at"] is not None
    # a clock-out replayed late but clocked later moves the end; an earlier one does not
    assert (
        ok(await c.post(f"{base}/{s1}/clock-out", json=at(5), headers=op_h))["write_outcome"]
        == "applied"
    )
    assert (
        ok(await c.post(f"{base}/{s1}/clock-out", json=at(20), headers=op_h))["write_outcome"]
        == "superseded"
    )
    writes = ok(await c.get(f"/production-orders/{o['po']}/labour/writes", headers=h))["items"]
    assert sorted((w["kind"], w["outcome"]) for w in writes) == [
        ("in", "applied"),
        ("in", "superseded"),
        ("in", "superseded"),
        ("out", "applied"),
        ("out", "superseded"),
        ("out", "superseded"),
    ]
    labour = ok(await c.get(f"/production-orders/{o['po']}/labour", headers=h))
    assert labour["open_entries"] == 0 and round(labour["total_minutes"]) == 25
    # a clock in the future is refused, and without a time the online rule holds
    r = await c.post(f"{base}/{s1}/clock-in", json=at(-60), headers=op_h)
    assert r.status_code == 422 and r.json()["code"] == "invalid_clock_time"
    ok(await c.post(f"{base}/{s1}/clock-in", headers=op_h), 201)
    r = await c.post(f"{base}/{s1}/clock-in", headers=op_h)
    assert r.status_code == 409 and r.json()["code"] == "already_clocked_in"


async def test_assignment_feed_gives_open_stages_then_only_changes(
    factory: Factory, stack: Stack
) -> None:
    c, h = factory.c, factory.h
    op_h = factory.tokens.headers("operator")
    o = await _started_order(factory, stack)
    first = ok(await c.get("/assignments/stages", params={"limit": 200}, headers=op_h))
    mine = {i["stage"]["id"]: i for i in first["items"]}
    assert o["s1"] in mine and o["s2"] in mine and mine[o["s1"]]["open"] is True
    assert first["next_cursor"]
    cursor = first["next_cursor"]
    while first["has_more"]:
        first = ok(await c.get("/assignments/stages", params={"cursor": cursor}, headers=op_h))
        cursor = first["next_cursor"]
    # the operator starts stage 1: the next call with the cursor brings it back, active
    ok(await c.post(f"{o['base']}/{o['s1']}/start", headers=op_h))
    changed = ok(await c.get("/assignments/stages", params={"cursor": cursor}, headers=op_h))
    ids = [i["stage"]["id"] for i in changed["items"]]
    assert o["s1"] in ids
    assert (
        next(i for i in changed["items"] if i["stage"]["id"] == o["s1"])["stage"]["status"]
        == "active"
    )
    ok(await c.post(f"{o['base']}/{o['s1']}/complete", headers=op_h))
    later = ok(
        await c.get("/assignments/stages", params={"cursor": changed["next_cursor"]}, headers=op_h)
    )
    done = next(i for i in later["items"] if i["stage"]["id"] == o["s1"])
    assert done["open"] is False
    # the planner's feed holds none of the operator's stages; a bad cursor is a 400
    planner = ok(await c.get("/assignments/stages", params={"limit": 200}, headers=h))
    assert o["s1"] not in {i["stage"]["id"] for i in planner["items"]}
    r = await c.get("/assignments/stages", params={"cursor": "nope"}, headers=op_h)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"


async def test_replayed_keys_are_kept_at_least_72_hours(factory: Factory, stack: Stack) -> None:
    op_h = factory.tokens.headers("operator")
    o = await _started_order(factory, stack)
    key = f"ttl-{uuid.uuid4().hex}"
    op = {
        "seq": 1,
        "idempotency_key": key,
        "method": "POST",
        "path": f"{o['base']}/{o['s1']}/start",
    }
    ok(await factory.c.post("/replay", json={"ops": [op]}, headers=op_h))
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        left = await conn.fetchval(
            "SELECT expires_at - now() FROM production.idempotency_keys WHERE key = $1", key
        )
    finally:
        await conn.close()
    assert left >= timedelta(hours=72) - timedelta(minutes=1)
