"""Production orders in-process: clocking in and out, stage moves allowed and refused,
plant scope, brands kept out, other tenants, pagination. Tokens come from the test key, so
each test has its own tenant, plants and operators (the e2e story is in test_work.py)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.app import ClientFactory
from tests.fixtures.auth import TestKey
from tests.production.test_plant_scope import OPERATOR

STAGES = [
    {
        "name": "Wrapping",
        "estimated_minutes": 45,
        "parameters": [{"name": "glue", "target": "180", "unit": "C", "tolerance": "5"}],
    },
    {"name": "Assembly", "estimated_minutes": 20},
    {"name": "Packing", "estimated_minutes": 10},
]


class Shop:
    """One tenant of its own on the in-process production service: its ops manager (a
    tenant-wide ADMIN token) builds plants and production orders; `operator` names one."""

    def __init__(self, c: httpx.AsyncClient, key: TestKey) -> None:
        self.c, self.key = c, key
        self.tenant = uuid.uuid4()
        self.tag = uuid.uuid4().hex[:8]
        self.h = key.headers(self.tenant)

    def operator(self, subject: uuid.UUID, plants: list[str] | None = None) -> dict[str, str]:
        """An OPERATOR, tenant-wide or (with `plants`) granted its permissions there only."""
        if plants is None:
            return self.key.headers(
                self.tenant, perms=OPERATOR, roles=("OPERATOR",), subject=subject
            )
        return self.key.headers(
            self.tenant,
            perms=(),
            roles=(),
            subject=subject,
            plant_perms={p: sorted(OPERATOR) for p in plants},
        )

    async def ok(self, resp: httpx.Response, status: int = 200) -> dict[str, Any]:
        assert resp.status_code == status, f"{resp.request.url}: {resp.status_code} {resp.text}"
        body: dict[str, Any] = resp.json()
        return body

    async def plant(self) -> str:
        body = {"code": f"W-{uuid.uuid4().hex[:6]}", "name": "Work plant"}
        return (await self.ok(await self.c.post("/plants", json=body, headers=self.h), 201))["id"]

    async def production_order(self, plant: str | None = None) -> dict[str, Any]:
        """An allocated order of a product with three stages, and its production order."""
        plant = plant or await self.plant()
        sku, n = f"M-{self.tag}", uuid.uuid4().hex[:6]
        item = {"plant_id": plant, "sku": f"{sku}-{n}", "name": sku, "initial_quantity": "100"}
        await self.ok(await self.c.post("/inventory/items", json=item, headers=self.h), 201)
        product = await self.ok(
            await self.c.post(
                "/products",
                json={
                    "sku": f"P-{self.tag}-{n}",
                    "name": "Box",
                    "bom": [{"sku": f"{sku}-{n}", "quantity": 1}],
                    "stages": STAGES,
                },
                headers=self.h,
            ),
            201,
        )
        version = product["versions"][0]["id"]
        await self.ok(
            await self.c.post(
                f"/products/{product['id']}/versions/{version}/release", headers=self.h
            )
        )
        order = await self.ok(
            await self.c.post(
                "/orders",
                json={
                    "number": f"W-{self.tag}-{n}",
                    "plant_id": plant,
                    "product_id": product["id"],
                    "quantity": 2,
                    "unit_price": "9.90",
                    "currency": "EUR",
                    "due_date": "2026-12-31",
                },
                headers=self.h,
            ),
            201,
        )
        await self.ok(await self.c.post(f"/orders/{order['id']}/allocate", headers=self.h))
        return await self.ok(
            await self.c.post("/production-orders", json={"order_id": order["id"]}, headers=self.h),
            201,
        )

    def stage(self, po: dict[str, Any], n: int) -> str:
        return f"/production-orders/{po['id']}/stages/{po['stages'][n]['id']}"


def problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert (resp.status_code, resp.headers["content-type"]) == (
        status,
        "application/problem+json",
    ), resp.text
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    return body


@pytest.fixture
async def shop(service_client: ClientFactory, test_key: TestKey) -> Shop:
    return Shop(await service_client("production"), test_key)


async def test_clock_in_and_out_records_each_operators_labour(shop: Shop) -> None:
    c, po = shop.c, await shop.production_order()
    ana, ben = uuid.uuid4(), uuid.uuid4()
    a, b = shop.operator(ana), shop.operator(ben)
    first = shop.stage(po, 0)
    await shop.ok(await c.post(f"{first}/start", headers=a))

    entry = await shop.ok(await c.post(f"{first}/clock-in", headers=a), 201)
    assert (entry["operator"], entry["ended_at"]) == (str(ana), None)
    assert entry["stage_execution_id"] == po["stages"][0]["id"]
    problem(await c.post(f"{first}/clock-in", headers=a), 409, "already_clocked_in")
    # a second operator works the same stage: its own clock
    await shop.ok(await c.post(f"{first}/clock-in", headers=b), 201)
    labour = await shop.ok(await c.get(f"/production-orders/{po['id']}/labour", headers=a))
    assert labour["open_entries"] == 2
    assert [x["operator"] for x in labour["by_operator"]] == sorted([str(ana), str(ben)])

    out = await shop.ok(await c.post(f"{first}/clock-out", headers=a))
    assert (out["id"], out["operator"]) == (entry["id"], str(ana)) and out["ended_at"]
    problem(await c.post(f"{first}/clock-out", headers=a), 409, "not_clocked_in")
    labour = await shop.ok(await c.get(f"/production-orders/{po['id']}/labour", headers=a))
    assert labour["open_entries"] == 1
    assert [s["name"] for s in labour["by_stage"]] == ["Wrapping"]

    # clocking in again opens a new entry; completing the stage closes every open clock
    await shop.ok(await c.post(f"{first}/clock-in", headers=a), 201)
    await shop.ok(await c.post(f"{first}/complete", headers=b))
    labour = await shop.ok(await c.get(f"/production-orders/{po['id']}/labour", headers=a))
    assert labour["open_entries"] == 0
    problem(await c.post(f"{first}/clock-out", headers=b), 409, "not_clocked_in")


async def test_clock_in_needs_an_active_stage(shop: Shop) -> None:
    c, po = shop.c, await shop.production_order()
    op = shop.operator(uuid.uuid4())
    first = shop.stage(po, 0)
    problem(await c.post(f"{first}/clock-in", headers=op), 409, "stage_not_active")
    await shop.ok(await c.post(f"{first}/start", headers=op))
    await shop.ok(await c.post(f"{first}/block", json={"reason": "jam"}, headers=op))
    problem(await c.post(f"{first}/clock-in", headers=op), 409, "stage_not_active")
    await shop.ok(await c.post(f"{first}/resume", headers=op))
    await shop.ok(await c.post(f"{first}/complete", headers=op))
    problem(await c.post(f"{first}/clock-in", headers=op), 409, "stage_not_active")
    problem(await c.post(f"{first}/clock-out", headers=op), 409, "not_clocked_in")


async def test_stage_moves_allowed_and_refused(shop: Shop) -> None:
    c, po = shop.c, await shop.production_order()
    op = shop.operator(uuid.uuid4())
    first, second = shop.stage(po, 0), shop.stage(po, 1)

    refused = problem(await c.post(f"{first}/complete", headers=op), 409, "invalid_transition")
    assert (refused["from"], refused["to"], refused["allowed"]) == (
        "pending",
        "completed",
        ["active", "blocked"],
    )
    problem(await c.post(f"{first}/resume", headers=op), 409, "invalid_transition")
    problem(
        await c.post(f"{first}/parameters", json={"actuals": []}, headers=op),
        409,
        "invalid_transition",
    )
    problem(await c.post(f"{second}/start", headers=op), 409, "stage_out_of_order")

    started = await shop.ok(await c.post(f"{first}/start", headers=op))
    assert started["status"] == "active" and started["started_at"]
    problem(await c.post(f"{first}/start", headers=op), 409, "invalid_transition")
    params = await shop.ok(
        await c.post(
            f"{first}/parameters",
            json={"actuals": [{"name": "glue", "value": "183"}, {"name": "speed", "value": "x"}]},
            headers=op,
        )
    )
    assert [(a["name"], a["within_tolerance"]) for a in params["actuals"]] == [
        ("glue", True),
        ("speed", None),
    ]
    blocked = await shop.ok(await c.post(f"{first}/block", json={"reason": "jam"}, headers=op))
    assert (blocked["status"], blocked["blocked_reason"]) == ("blocked", "jam")
    problem(
        await c.post(f"{first}/block", json={"reason": "x"}, headers=op), 409, "invalid_transition"
    )
    got = await shop.ok(await c.get(f"/production-orders/{po['id']}", headers=op))
    assert (got["status"], got["blocked_reason"]) == ("blocked", "jam")
    resumed = await shop.ok(await c.post(f"{first}/resume", headers=op))
    assert (resumed["status"], resumed["blocked_reason"]) == ("active", None)

    # If-Match: a stale version is refused, the current one passes
    stale = {**op, "If-Match": f'"{blocked["version"]}"'}
    problem(await c.post(f"{first}/complete", headers=stale), 412, "version_mismatch")
    current = {**op, "If-Match": f'"{resumed["version"]}"'}
    done = await shop.ok(await c.post(f"{first}/complete", headers=current))
    assert done["status"] == "completed" and done["completed_at"]
    for move in ("start", "resume", "complete"):
        problem(await c.post(f"{first}/{move}", headers=op), 409, "invalid_transition")
    problem(
        await c.post(f"{first}/block", json={"reason": "late"}, headers=op),
        409,
        "invalid_transition",
    )
    problem(
        await c.post(f"{first}/assign", json={"operator": str(uuid.uuid4())}, headers=shop.h),
        409,
        "invalid_transition",
    )
    await shop.ok(await c.post(f"{second}/start", headers=op))


async def test_a_blocked_later_stage_does_not_resume_ahead_of_earlier_ones(shop: Shop) -> None:
    c, po = shop.c, await shop.production_order()
    op = shop.operator(uuid.uuid4())
    second = shop.stage(po, 1)
    # a pending stage may be blocked ahead of time (material missing, say) ...
    await shop.ok(await c.post(f"{second}/block", json={"reason": "no foil"}, headers=op))
    # ... but resuming it would start it while the first stage has not run
    problem(await c.post(f"{second}/resume", headers=op), 409, "stage_out_of_order")
    got = await shop.ok(await c.get(f"/production-orders/{po['id']}", headers=op))
    assert [s["status"] for s in got["stages"]] == ["pending", "blocked", "pending"]


async def test_bad_input_is_a_clear_4xx(shop: Shop) -> None:
    c, po = shop.c, await shop.production_order()
    op = shop.operator(uuid.uuid4())
    first = shop.stage(po, 0)
    problem(
        await c.post(f"{first}/block", json={"reason": ""}, headers=op), 422, "validation_failed"
    )
    problem(await c.post(f"{first}/block", json={}, headers=op), 422, "validation_failed")
    problem(
        await c.post(f"{first}/assign", json={"operator": "someone"}, headers=shop.h),
        422,
        "unknown_operator",
    )
    problem(
        await c.post(f"/production-orders/{po['id']}/stages/not-a-uuid/start", headers=op),
        422,
        "validation_failed",
    )
    problem(
        await c.get("/production-orders", params={"status": "lost"}, headers=op),
        422,
        "validation_failed",
    )
    # a stage of another production order is not found under this one
    other = await shop.production_order()
    wrong = f"/production-orders/{po['id']}/stages/{other['stages'][0]['id']}"
    problem(await c.post(f"{wrong}/start", headers=op), 404, "stage_not_found")
    problem(await c.post(f"{wrong}/clock-in", headers=op), 404, "stage_not_found")
    missing = f"/production-orders/{uuid.uuid4()}/stages/{po['stages'][0]['id']}"
    problem(await c.post(f"{missing}/clock-in", headers=op), 404, "production_order_not_found")
    # assigning is planning work: an operator may not
    problem(
        await c.post(f"{first}/assign", json={"operator": str(uuid.uuid4())}, headers=op),
        403,
        "missing_permission",
    )


async def test_an_operator_of_one_plant_works_there_only(shop: Shop) -> None:
    c = shop.c
    here, there = await shop.plant(), await shop.plant()
    mine, theirs = await shop.production_order(here), await shop.production_order(there)
    op = shop.operator(uuid.uuid4(), plants=[here])

    listed = await shop.ok(await c.get("/production-orders", params={"limit": 100}, headers=op))
    assert [p["id"] for p in listed["items"]] == [mine["id"]]
    await shop.ok(await c.get(f"/production-orders/{mine['id']}", headers=op))
    problem(
        await c.get(f"/production-orders/{theirs['id']}", headers=op), 403, "plant_not_permitted"
    )
    problem(
        await c.get(f"/production-orders/{theirs['id']}/labour", headers=op),
        403,
        "plant_not_permitted",
    )
    for move in ("start", "clock-in", "clock-out", "resume", "complete"):
        problem(
            await c.post(f"{shop.stage(theirs, 0)}/{move}", headers=op), 403, "plant_not_permitted"
        )
    problem(
        await c.post(f"{shop.stage(theirs, 0)}/block", json={"reason": "x"}, headers=op),
        403,
        "plant_not_permitted",
    )
    await shop.ok(await c.post(f"{shop.stage(mine, 0)}/start", headers=op))
    await shop.ok(await c.post(f"{shop.stage(mine, 0)}/clock-in", headers=op), 201)
    await shop.ok(await c.post(f"{shop.stage(mine, 0)}/clock-out", headers=op))
    # the plant's operator does not plan: creating a production order stays refused
    problem(
        await c.post("/production-orders", json={"order_id": mine["order_id"]}, headers=op),
        403,
        "missing_permission",
    )


async def test_a_brand_neither_sees_nor_writes_production_orders(
    shop: Shop, test_key: TestKey
) -> None:
    c, po = shop.c, await shop.production_order()
    brand = test_key.headers(
        uuid.uuid4(),
        space="CLIENT",
        roles=("CLIENT_ADMIN",),
        perms=("orders:read", "lots:read", "production:read", "production:execute"),
        parent_tenant_id=shop.tenant,
    )
    problem(await c.get("/production-orders", headers=brand), 403, "wrong_space")
    problem(await c.get(f"/production-orders/{po['id']}", headers=brand), 403, "wrong_space")
    problem(await c.get(f"/production-orders/{po['id']}/labour", headers=brand), 403, "wrong_space")
    for move in ("start", "clock-in", "clock-out", "complete"):
        problem(await c.post(f"{shop.stage(po, 0)}/{move}", headers=brand), 403, "wrong_space")
    problem(
        await c.post("/production-orders", json={"order_id": po["order_id"]}, headers=brand),
        403,
        "wrong_space",
    )
    unchanged = await shop.ok(await c.get(f"/production-orders/{po['id']}", headers=shop.h))
    assert [s["status"] for s in unchanged["stages"]] == ["pending"] * 3


async def test_another_tenant_finds_nothing(shop: Shop, test_key: TestKey) -> None:
    c, po = shop.c, await shop.production_order()
    stranger = test_key.headers(uuid.uuid4())
    problem(
        await c.get(f"/production-orders/{po['id']}", headers=stranger),
        404,
        "production_order_not_found",
    )
    problem(
        await c.post(f"{shop.stage(po, 0)}/clock-in", headers=stranger),
        404,
        "production_order_not_found",
    )
    problem(
        await c.post(f"{shop.stage(po, 0)}/start", headers=stranger),
        404,
        "production_order_not_found",
    )
    listed = await shop.ok(await c.get("/production-orders", headers=stranger))
    assert listed == {"items": [], "next_cursor": None}


async def test_production_orders_page_by_cursor(shop: Shop) -> None:
    c, plant = shop.c, await shop.plant()
    made = [await shop.production_order(plant) for _ in range(5)]
    await shop.ok(await c.post(f"{shop.stage(made[0], 0)}/start", headers=shop.h))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2, "plant_id": plant}
        if cursor:
            params["cursor"] = cursor
        page = await shop.ok(await c.get("/production-orders", params=params, headers=shop.h))
        assert len(page["items"]) <= 2
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [p["id"] for p in reversed(made)]  # newest first, each once
    assert all(len(p["stages"]) == 3 for p in page["items"])

    active = await shop.ok(
        await c.get(
            "/production-orders", params={"status": "active", "plant_id": plant}, headers=shop.h
        )
    )
    assert [p["id"] for p in active["items"]] == [made[0]["id"]]
    by_order = await shop.ok(
        await c.get("/production-orders", params={"order_id": made[3]["order_id"]}, headers=shop.h)
    )
    assert [p["id"] for p in by_order["items"]] == [made[3]["id"]]
    problem(
        await c.get("/production-orders", params={"cursor": "garbage"}, headers=shop.h),
        400,
        "invalid_cursor",
    )
    problem(
        await c.get("/production-orders", params={"limit": 0}, headers=shop.h),
        422,
        "validation_failed",
    )
    problem(
        await c.get("/production-orders", params={"limit": 10_000}, headers=shop.h),
        422,
        "validation_failed",
    )
