"""Lot gates: every move legal and illegal, who may approve, history, and the events."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.production.conftest import Factory, ok
from tools.stack import Stack

GATES = ["created", "in_production", "qa_pending", "approved", "rejected", "packed", "shipped"]
LEGAL = {
    "created": {"in_production"},
    "in_production": {"qa_pending"},
    "qa_pending": {"approved", "rejected"},
    "approved": {"packed"},
    "rejected": {"in_production"},
    "packed": {"shipped"},
    "shipped": set(),
}
ROUTE = {
    "created": [],
    "in_production": ["in_production"],
    "qa_pending": ["in_production", "qa_pending"],
    "approved": ["in_production", "qa_pending", "approved"],
    "rejected": ["in_production", "qa_pending", "rejected"],
    "packed": ["in_production", "qa_pending", "approved", "packed"],
    "shipped": ["in_production", "qa_pending", "approved", "packed", "shipped"],
}


async def make_order(
    factory: Factory, customer: str | None = "luxury-brand-x", *, allocate: bool = True
) -> dict:
    """An order of 1000 with its stock reserved (lots may go into production)."""
    plant = await factory.plant()
    n = uuid.uuid4().hex[:6]
    x = factory.sku(f"X{n}")
    await factory.item(plant["id"], x, "1000")
    p = await factory.product(factory.sku(f"L{n}"), [{"sku": x, "quantity": 1}])
    order = await factory.order(plant["id"], p["id"], 1000, customer=customer)
    if allocate:
        order = ok(await factory.c.post(f"/orders/{order['id']}/allocate", headers=factory.h))
    return order


def gate_move(factory: Factory, to: str, version: int) -> dict:
    """The request of a move by hand: approving without a quality inspection is a QA
    manager's override (the admin holds `qa:override`), with its reason."""
    if to == "approved":
        return {
            "json": {"to": to, "override_reason": "approved by hand in a test"},
            "headers": factory.tokens.headers("admin", **{"If-Match": f'"{version}"'}),
        }
    return {"json": {"to": to}, "headers": {**factory.h, "If-Match": f'"{version}"'}}


async def lot_at(factory: Factory, order: dict, gate: str) -> dict:
    lot = ok(
        await factory.c.post(
            "/lots", json={"order_id": order["id"], "quantity": 40}, headers=factory.h
        ),
        201,
    )
    for to in ROUTE[gate]:
        lot = ok(
            await factory.c.post(
                f"/lots/{lot['id']}/gate", **gate_move(factory, to, lot["version"])
            )
        )
    assert lot["gate"] == gate
    return lot


@pytest.mark.parametrize("current", GATES)
async def test_lot_gates_from(factory: Factory, current: str) -> None:
    order = await make_order(factory)
    for to in GATES:
        if to == current:
            continue
        lot = await lot_at(factory, order, current)
        r = await factory.c.post(
            f"/lots/{lot['id']}/gate", **gate_move(factory, to, lot["version"])
        )
        if to in LEGAL[current]:
            assert r.status_code == 200, (current, to, r.text)
            assert r.json()["gate"] == to and r.json()["version"] == lot["version"] + 1
        else:
            assert r.status_code == 409, (current, to, r.text)
            assert r.json()["code"] == "invalid_transition"
            assert (r.json()["from"], r.json()["to"]) == (current, to)


async def test_only_approvers_approve_and_if_match_is_enforced(factory: Factory) -> None:
    c, tokens = factory.c, factory.tokens
    order = await make_order(factory)
    lot = await lot_at(factory, order, "in_production")
    # the operator may move lots (lots:write) ...
    lot = ok(
        await c.post(
            f"/lots/{lot['id']}/gate",
            json={"to": "qa_pending"},
            headers=tokens.headers("operator", **{"If-Match": f'"{lot["version"]}"'}),
        )
    )
    # ... but not approve them (lots:approve)
    r = await c.post(
        f"/lots/{lot['id']}/gate", json={"to": "approved"}, headers=tokens.headers("operator")
    )
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    r = await c.post(
        f"/lots/{lot['id']}/gate",
        json={"to": "approved"},
        headers=tokens.headers("inspector", **{"If-Match": '"1"'}),
    )
    assert r.status_code == 412
    # no passed inspection of this round: refused, even to an approver
    fresh = {"If-Match": f'"{lot["version"]}"'}
    r = await c.post(
        f"/lots/{lot['id']}/gate",
        json={"to": "approved", "note": "AQL ok"},
        headers=tokens.headers("inspector", **fresh),
    )
    assert (r.status_code, r.json()["code"]) == (409, "inspection_required")
    assert r.json()["round"] == 1
    # an override needs qa:override (a QA manager), which the inspector does not hold
    r = await c.post(
        f"/lots/{lot['id']}/gate",
        json={"to": "approved", "override_reason": "customer waived AQL"},
        headers=tokens.headers("inspector", **fresh),
    )
    assert (r.status_code, r.json()["code"]) == (403, "missing_permission")
    # a reason only means something when approving
    r = await c.post(
        f"/lots/{lot['id']}/gate",
        json={"to": "rejected", "override_reason": "customer waived AQL"},
        headers=tokens.headers("inspector", **fresh),
    )
    assert (r.status_code, r.json()["code"]) == (422, "override_not_applicable")
    lot = ok(
        await c.post(
            f"/lots/{lot['id']}/gate",
            json={"to": "approved", "note": "AQL ok", "override_reason": "customer waived AQL"},
            headers=tokens.headers("admin", **fresh),
        )
    )
    assert (lot["gate"], lot["qa_round"]) == ("approved", 1)
    history = ok(await c.get(f"/lots/{lot['id']}/history", headers=factory.h))["items"]
    assert [(x["from_gate"], x["to_gate"]) for x in history] == [
        (None, "created"),
        ("created", "in_production"),
        ("in_production", "qa_pending"),
        ("qa_pending", "approved"),
    ]
    last = history[-1]
    assert last["note"] == "AQL ok" and last["actor"] != history[0]["actor"]
    # the override is audited: who, and why
    assert (last["override_reason"], last["inspection_id"]) == ("customer waived AQL", None)
    assert last["actor"] == lot["gate_changed_by"]


async def test_gate_move_writes_the_event_to_the_outbox(factory: Factory, stack: Stack) -> None:
    order = await make_order(factory)
    lot = await lot_at(factory, order, "qa_pending")
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        rows = await conn.fetch(
            "SELECT * FROM production.outbox WHERE type = 'production.lot.gate_reached' "
            "AND subject = $1 ORDER BY id",
            f"lots/{lot['id']}",
        )
    finally:
        await conn.close()
    assert len(rows) == 3
    last = rows[-1]
    import json

    data = json.loads(last["data"]) if isinstance(last["data"], str) else last["data"]
    assert data["lot_id"] == lot["id"] and data["order_id"] == order["id"]
    assert (data["from"], data["to"]) == ("in_production", "qa_pending")
    assert data["plant_id"] == order["plant_id"] and data["quantity"] == 40
    assert str(last["customer_tenant_id"]) == factory.seed.data["tenants"]["luxury-brand-x"]
    assert str(last["tenant_id"]) != str(last["customer_tenant_id"])
