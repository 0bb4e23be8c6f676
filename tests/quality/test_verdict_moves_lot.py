"""Quality's verdict moves production's lot, across real processes: production at
qa_pending -> quality's inspection (through sync) -> results and defects -> completed ->
`quality.inspection.completed` (through sync) -> production approves or rejects the lot."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx

from libs.common.webhooks import signed_headers
from services.production.lots.subscriptions import QUALITY_PATH
from tests.quality.conftest import Factory, P, Q, Tokens, eventually, ok
from tests.quality.helpers import all_results, inspection_in_progress
from tools.stack import Stack


async def _lot(gw: httpx.AsyncClient, tokens: Tokens, lot_id: str) -> dict[str, Any]:
    return ok(await gw.get(f"{P}/lots/{lot_id}", headers=tokens.h("ops")))


async def _until_gate(
    gw: httpx.AsyncClient, tokens: Tokens, lot_id: str, gate: str
) -> dict[str, Any]:
    """Poll the lot (bounded) until production moved it to `gate`."""

    async def check() -> dict[str, Any] | None:
        lot = await _lot(gw, tokens, lot_id)
        return lot if lot["gate"] == gate else None

    return await eventually(check, wait=30)


async def _history(gw: httpx.AsyncClient, tokens: Tokens, lot_id: str) -> list[dict[str, Any]]:
    page = ok(await gw.get(f"{P}/lots/{lot_id}/history", headers=tokens.h("ops")))
    return page["items"]


async def _complete(
    gw: httpx.AsyncClient,
    tokens: Tokens,
    checklist: dict[str, Any],
    inspection: dict[str, Any],
    *,
    fail: bool,
) -> dict[str, Any]:
    h = tokens.h("inspector")
    url = f"{Q}/inspections/{inspection['id']}"
    results = all_results(checklist, inspection["plan"]["sample_size"])
    if fail:  # one measurement out of tolerance (120.0 +- 0.5)
        bad = next(r for r in results if "value" in r)
        bad["value"] = "121.0"
    ok(await gw.put(f"{url}/results", headers=h, json={"results": results}))
    ok(
        await gw.post(
            f"{url}/defects",
            headers=h,
            json={"unit": 1, "severity": "minor", "description": "Tissue slightly creased"},
        ),
        201,
    )
    done = ok(await gw.post(f"{url}/complete", headers=h))
    assert done["verdict"] == ("failed" if fail else "passed")
    return done


async def _completed_event(db: asyncpg.Connection, inspection_id: str) -> dict[str, Any]:
    row = await eventually(
        lambda: db.fetchrow(
            "SELECT id, type, tenant_id, customer_tenant_id, subject, occurred_at, data "
            "FROM quality.outbox WHERE type = 'quality.inspection.completed' AND subject = $1",
            f"inspections/{inspection_id}",
        )
    )
    return {
        "id": str(row["id"]),
        "type": row["type"],
        "tenant_id": str(row["tenant_id"]),
        "customer_tenant_id": str(row["customer_tenant_id"]) if row["customer_tenant_id"] else None,
        "subject": row["subject"],
        "occurred_at": row["occurred_at"].isoformat(),
        "data": json.loads(row["data"]),
    }


async def _deliver(stack: Stack, envelope: dict[str, Any]) -> httpx.Response:
    """Deliver an event to production's intake as sync does (signed, production's secret)."""
    body = json.dumps(envelope).encode()
    headers = signed_headers(
        [stack.secrets["service_secret_production"]], f"msg_{uuid.uuid4().hex}", body
    )
    async with httpx.AsyncClient(base_url=stack.service_url("production"), timeout=30) as c:
        return await c.post(QUALITY_PATH, content=body, headers=headers)


async def test_a_passed_inspection_approves_the_lot_once(
    gateway: httpx.AsyncClient,
    tokens: Tokens,
    factory: Factory,
    stack: Stack,
    db: asyncpg.Connection,
) -> None:
    lot, checklist, inspection, _sku = await inspection_in_progress(gateway, tokens, factory)
    await _complete(gateway, tokens, checklist, inspection, fail=False)
    moved = await _until_gate(gateway, tokens, lot["id"], "approved")
    assert moved["qa_round"] == 1 and moved["gate_changed_by"] == "service:quality"
    last = (await _history(gateway, tokens, lot["id"]))[-1]
    assert (last["from_gate"], last["to_gate"]) == ("qa_pending", "approved")
    assert last["inspection_id"] == inspection["id"] and last["override_reason"] is None
    # production's event names the inspection that decided it
    event = await eventually(
        lambda: db.fetchrow(
            "SELECT data FROM production.outbox WHERE type = 'production.lot.gate_reached' "
            "AND subject = $1 AND data->>'to' = 'approved'",
            f"lots/{lot['id']}",
        )
    )
    assert json.loads(event["data"])["inspection_id"] == inspection["id"]

    # the same event again (a redelivery) changes nothing
    envelope = await _completed_event(db, inspection["id"])
    again = await _deliver(stack, envelope)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # another verdict for a lot no longer at qa_pending: kept, ignored, never a 500
    stale = {
        **envelope,
        "id": str(uuid.uuid4()),
        "data": {**envelope["data"], "inspection_id": str(uuid.uuid4()), "verdict": "failed"},
    }
    stale["data"]["lot_gate"] = "rejected"
    late = await _deliver(stack, stale)
    assert late.status_code == 200 and late.json()["status"] == "ignored"
    # and one for a lot production does not know
    unknown = {
        **envelope,
        "id": str(uuid.uuid4()),
        "data": {
            **envelope["data"],
            "inspection_id": str(uuid.uuid4()),
            "lot_id": str(uuid.uuid4()),
        },
    }
    lost = await _deliver(stack, unknown)
    assert lost.status_code == 200 and lost.json()["status"] == "ignored"
    after = await _lot(gateway, tokens, lot["id"])
    assert (after["gate"], after["version"]) == ("approved", moved["version"])
    assert len(await _history(gateway, tokens, lot["id"])) == 4
    outcomes = await db.fetch(
        "SELECT outcome, reason FROM production.lot_inspections WHERE lot_id = $1 "
        "ORDER BY received_at",
        uuid.UUID(lot["id"]),
    )
    assert [(r["outcome"], r["reason"]) for r in outcomes] == [
        ("applied", None),
        ("ignored", "lot_at_approved"),
    ]
    # an unsigned delivery is refused
    async with httpx.AsyncClient(base_url=stack.service_url("production")) as c:
        refused = await c.post(QUALITY_PATH, json=envelope)
    assert refused.status_code == 401


async def test_a_failed_inspection_rejects_and_the_rework_round_approves(
    gateway: httpx.AsyncClient,
    tokens: Tokens,
    factory: Factory,
    stack: Stack,
    db: asyncpg.Connection,
) -> None:
    lot, checklist, first, _sku = await inspection_in_progress(gateway, tokens, factory)
    await _complete(gateway, tokens, checklist, first, fail=True)
    rejected = await _until_gate(gateway, tokens, lot["id"], "rejected")
    assert rejected["qa_round"] == 1
    last = (await _history(gateway, tokens, lot["id"]))[-1]
    assert (last["to_gate"], last["inspection_id"]) == ("rejected", first["id"])

    # rework: back into production and to QA, a second round
    await factory.gate(lot["id"], "in_production")
    again = await factory.gate(lot["id"], "qa_pending")
    assert again["qa_round"] == 2
    # the first round's verdict, delivered late, does not decide the second round
    old = await _completed_event(db, first["id"])
    replay = {
        **old,
        "id": str(uuid.uuid4()),
        "data": {**old["data"], "inspection_id": str(uuid.uuid4())},
    }
    stale = await _deliver(stack, replay)
    assert stale.status_code == 200 and stale.json()["status"] == "ignored"
    assert (await _lot(gateway, tokens, lot["id"]))["gate"] == "qa_pending"
    # approving by hand before round 2 passes is refused
    refused = await gateway.post(
        f"{P}/lots/{lot['id']}/gate", headers=tokens.h("inspector"), json={"to": "approved"}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "inspection_required")

    second = await factory.inspection_of(lot["id"], round_=2)
    assert second["id"] != first["id"]
    ok(await gateway.post(f"{Q}/inspections/{second['id']}/start", headers=tokens.h("inspector")))
    await _complete(gateway, tokens, checklist, second, fail=False)
    approved = await _until_gate(gateway, tokens, lot["id"], "approved")
    assert approved["qa_round"] == 2
    decided = [
        (h["to_gate"], h["inspection_id"])
        for h in await _history(gateway, tokens, lot["id"])
        if h["inspection_id"]
    ]
    assert decided == [("rejected", first["id"]), ("approved", second["id"])]
    # approved goes on as usual
    assert (await factory.gate(lot["id"], "packed"))["gate"] == "packed"


async def test_approval_without_inspection_is_refused_unless_a_qa_manager_overrides(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory, db: asyncpg.Connection
) -> None:
    plant, _sku = await factory.product()
    lot = await factory.lot(plant, 30)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    url = f"{P}/lots/{lot['id']}/gate"
    # an approver without a passed inspection: refused
    r = await gateway.post(url, headers=tokens.h("inspector"), json={"to": "approved"})
    assert (r.status_code, r.json()["code"]) == (409, "inspection_required")
    # an override by someone without qa:override: refused
    r = await gateway.post(
        url,
        headers=tokens.h("inspector"),
        json={"to": "approved", "override_reason": "Brand accepted the lot as is"},
    )
    assert (r.status_code, r.json()["code"]) == (403, "missing_permission")
    # an override without a reason is no override
    r = await gateway.post(url, headers=tokens.h("admin"), json={"to": "approved"})
    assert (r.status_code, r.json()["code"]) == (409, "inspection_required")
    r = await gateway.post(
        url, headers=tokens.h("admin"), json={"to": "approved", "override_reason": ""}
    )
    assert r.status_code == 422
    # the QA manager's override, with its reason: approved, audited, in the event
    moved = await factory.gate(
        lot["id"], "approved", override_reason="Brand accepted the lot as is"
    )
    assert moved["gate"] == "approved"
    last = (await _history(gateway, tokens, lot["id"]))[-1]
    assert last["override_reason"] == "Brand accepted the lot as is"
    assert last["inspection_id"] is None and last["actor"] == moved["gate_changed_by"]
    event = await eventually(
        lambda: db.fetchrow(
            "SELECT data FROM production.outbox WHERE type = 'production.lot.gate_reached' "
            "AND subject = $1 AND data->>'to' = 'approved'",
            f"lots/{lot['id']}",
        )
    )
    data = json.loads(event["data"])
    assert (data["override_reason"], data["actor"]) == (
        "Brand accepted the lot as is",
        moved["gate_changed_by"],
    )
    # the brand reads the audited override on its lot's history too
    brand = ok(await gateway.get(f"{P}/lots/{lot['id']}/history", headers=tokens.h("lbx")))
    assert brand["items"][-1]["override_reason"] == "Brand accepted the lot as is"
