"""Lots reaching QA open inspections (through production's events and sync), which are
sampled, filled and judged; the list of lots awaiting inspection clears."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.quality.conftest import Factory, Q, Tokens, eventually, ok


async def _awaiting(gw: httpx.AsyncClient, tokens: Tokens, lot_id: str) -> list[dict[str, Any]]:
    page = ok(
        await gw.get(
            f"{Q}/inspections/awaiting", headers=tokens.h("inspector"), params={"lot_id": lot_id}
        )
    )
    return page["items"]


async def _until_awaiting(
    gw: httpx.AsyncClient, tokens: Tokens, lot_id: str, count: int
) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]] | None:
        items = await _awaiting(gw, tokens, lot_id)
        return items if len(items) == count else None

    if count == 0:

        async def empty() -> bool:
            return not await _awaiting(gw, tokens, lot_id)

        await eventually(empty)
        return []
    return await eventually(check)


async def test_awaiting_list_clears_when_the_lot_moves_on(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    plant, _sku = await factory.product()
    lot = await factory.lot(plant, 40)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    [item] = await _until_awaiting(gateway, tokens, lot["id"], 1)
    assert (item["status"], item["round"], item["quantity"]) == ("awaiting", 1, 40)
    assert item["inspection_id"]
    # approved and shipped: no longer awaiting (it used to stay there forever)
    # (no inspection passed: the admin, holding qa:override, approves it with a reason)
    await factory.gate(lot["id"], "approved", override_reason="approved by hand in a test")
    for gate in ("packed", "shipped"):
        await factory.gate(lot["id"], gate)
    await _until_awaiting(gateway, tokens, lot["id"], 0)


async def test_a_rework_is_one_new_round_not_a_second_entry(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    plant, _sku = await factory.product()
    lot = await factory.lot(plant, 40)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    await _until_awaiting(gateway, tokens, lot["id"], 1)
    await factory.gate(lot["id"], "rejected")
    await _until_awaiting(gateway, tokens, lot["id"], 0)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    await factory.inspection_of(lot["id"], round_=2)
    [item] = await _until_awaiting(gateway, tokens, lot["id"], 1)
    assert item["round"] == 2
    rounds = ok(
        await gateway.get(
            f"{Q}/inspections", headers=tokens.h("inspector"), params={"lot_id": lot["id"]}
        )
    )["items"]
    assert sorted(i["round"] for i in rounds) == [1, 2]


async def _ready(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory, quantity: int = 50
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    plant, sku = await factory.product()
    checklist = await factory.checklist(sku)
    lot = await factory.lot(plant, quantity)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    inspection = await factory.inspection_of(lot["id"])
    return lot, checklist, inspection


def _results(
    checklist: dict[str, Any], units: int, width: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    out = []
    for unit in range(1, units + 1):
        for item in checklist["items"]:
            if item["check_type"] == "measurement":
                out.append(
                    {
                        "item_id": item["id"],
                        "unit": unit,
                        "value": (width or {}).get(unit, "120.2"),
                    }
                )
            else:
                out.append({"item_id": item["id"], "unit": unit, "passed": True})
    return out


async def test_inspection_is_sampled_filled_and_judged_passed(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory, db: asyncpg.Connection
) -> None:
    lot, checklist, inspection = await _ready(gateway, tokens, factory)
    # 50 units, level II -> D, AQL 1.0 (the demo tenant's aql_1_0) -> arrow down -> E: 13, 0/1
    plan = inspection["plan"]
    assert (plan["code_letter"], plan["plan_letter"], plan["sample_size"]) == ("D", "E", 13)
    assert (plan["accept"], plan["reject"], plan["aql"]) == (0, 1, "1.0")
    assert inspection["checklist_id"] == checklist["id"]
    h = tokens.h("inspector")
    url = f"{Q}/inspections/{inspection['id']}"
    # nothing recorded before it starts
    early = await gateway.put(f"{url}/results", headers=h, json={"results": _results(checklist, 1)})
    assert (early.status_code, early.json()["code"]) == (409, "invalid_inspection_state")
    started = ok(await gateway.post(f"{url}/start", headers=h))
    assert started["status"] == "in_progress" and started["inspector_id"]
    # incomplete: refused with what is missing
    ok(await gateway.put(f"{url}/results", headers=h, json={"results": _results(checklist, 5)}))
    early_end = await gateway.post(f"{url}/complete", headers=h)
    assert (early_end.status_code, early_end.json()["code"]) == (409, "inspection_incomplete")
    recorded = ok(
        await gateway.put(f"{url}/results", headers=h, json={"results": _results(checklist, 13)})
    )
    assert recorded == {"recorded": 13 * 4, "failed": 0}
    # a unit outside the sample is refused
    outside = await gateway.put(
        f"{url}/results",
        headers=h,
        json={"results": [{"item_id": checklist["items"][0]["id"], "unit": 14, "passed": True}]},
    )
    assert (outside.status_code, outside.json()["code"]) == (422, "invalid_result")
    minor = ok(
        await gateway.post(
            f"{url}/defects",
            headers=h,
            json={"unit": 2, "severity": "minor", "description": "Tissue slightly creased"},
        ),
        201,
    )
    assert minor["severity"] == "minor"
    done = ok(await gateway.post(f"{url}/complete", headers=h))
    assert (done["status"], done["verdict"]) == ("completed", "passed")
    assert done["counts"]["nonconforming_units"] == 0 and done["counts"]["minor"] == 1
    # the event production consumes left through the outbox
    row = await eventually(
        lambda: db.fetchrow(
            "SELECT data, customer_tenant_id FROM quality.outbox "
            "WHERE type = 'quality.inspection.completed' AND subject = $1",
            f"inspections/{inspection['id']}",
        )
    )
    import json

    data = json.loads(row["data"])
    assert (data["lot_id"], data["verdict"], data["lot_gate"]) == (lot["id"], "passed", "approved")
    # the brand reads its lot's inspection; the other brand does not see it
    brand = ok(await gateway.get(url, headers=tokens.h("lbx")))
    assert brand["verdict"] == "passed"
    assert len(ok(await gateway.get(f"{url}/defects", headers=tokens.h("lbx")))) == 1
    other = await gateway.get(url, headers=tokens.h("my"))
    assert (other.status_code, other.json()["code"]) == (404, "inspection_not_found")
    # a brand records nothing
    denied = await gateway.post(f"{url}/defects", headers=tokens.h("lbx"), json=minor)
    assert denied.status_code == 403
    # completed is final
    again = await gateway.post(f"{url}/complete", headers=h)
    assert again.status_code == 409


async def test_out_of_tolerance_or_critical_fails_the_lot(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    _lot, checklist, inspection = await _ready(gateway, tokens, factory)
    h = tokens.h("inspector")
    url = f"{Q}/inspections/{inspection['id']}"
    ok(await gateway.post(f"{url}/start", headers=h))
    # unit 3 measures 121.0 mm against 120.0 +- 0.5: judged failed, not typed
    recorded = ok(
        await gateway.put(
            f"{url}/results",
            headers=h,
            json={"results": _results(checklist, 13, width={3: "121.0"})},
        )
    )
    assert recorded["failed"] == 1
    done = ok(await gateway.post(f"{url}/complete", headers=h))
    assert done["verdict"] == "failed"
    assert done["counts"]["nonconforming_units"] == 1 and done["counts"]["failed_checks"] == 1

    _lot2, checklist2, inspection2 = await _ready(gateway, tokens, factory)
    url2 = f"{Q}/inspections/{inspection2['id']}"
    ok(await gateway.post(f"{url2}/start", headers=h))
    ok(await gateway.put(f"{url2}/results", headers=h, json={"results": _results(checklist2, 13)}))
    ok(
        await gateway.post(
            f"{url2}/defects",
            headers=h,
            json={"unit": 1, "severity": "critical", "description": "Sharp edge"},
        ),
        201,
    )
    done2 = ok(await gateway.post(f"{url2}/complete", headers=h))
    assert (done2["verdict"], done2["counts"]["critical"]) == ("failed", 1)


async def test_verdict_cannot_be_typed(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    _lot, _checklist, inspection = await _ready(gateway, tokens, factory)
    resp = await gateway.post(
        f"{Q}/inspections/{inspection['id']}/complete",
        headers=tokens.h("inspector"),
        json={"verdict": "passed"},
    )
    # not started: refused; and no body field could set the verdict anyway
    assert resp.status_code == 409
    got = ok(await gateway.get(f"{Q}/inspections/{inspection['id']}", headers=tokens.h("admin")))
    assert got["verdict"] is None


async def test_checklist_override_and_sampling_calculator(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    plant, sku = await factory.product()
    await factory.checklist(sku, sampling={"aql": "2.5", "level": "II", "severity": "normal"})
    lot = await factory.lot(plant, 1200)
    await factory.gate(lot["id"], "in_production")
    await factory.gate(lot["id"], "qa_pending")
    inspection = await factory.inspection_of(lot["id"])
    plan = inspection["plan"]
    assert (plan["source"], plan["sample_size"], plan["accept"], plan["reject"]) == (
        "checklist",
        80,
        5,
        6,
    )
    calc = ok(
        await gateway.get(
            f"{Q}/sampling/plan",
            headers=tokens.h("lbx"),
            params={"lot_size": 1200, "aql": "1.0", "level": "II"},
        )
    )
    assert (calc["code_letter"], calc["sample_size"], calc["accept"], calc["reject"]) == (
        "J",
        80,
        2,
        3,
    )
    bad = await gateway.get(
        f"{Q}/sampling/plan", headers=tokens.h("lbx"), params={"lot_size": 1200, "aql": "1.2"}
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_sampling")
