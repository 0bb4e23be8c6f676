"""Production's part of the demo: Paco's plants, stock, luxury packaging products with
multi-level BOMs, orders for Luxury Brand X and Maison Y at several stages, and lots.

Everything goes through production's HTTP API as Paco's ops manager; a second run finds
the orders in place and only records their ids.
"""

from __future__ import annotations

from typing import Any

import httpx

from tools.seed import SeedContext
from tools.seed.identity import login

PLANTS = [
    ("PACO-MI", "Paco Milano", {"city": "Milano", "country": "IT"}, True),
    ("PACO-LY", "Paco Lyon", {"city": "Lyon", "country": "FR"}, False),
]
# sku, name, unit, on hand, reorder level, reorder quantity, unit cost, location
ITEMS = [
    ("BOARD-GREY-2MM", "Grey board 2 mm", "sheet", "3000", "800", "1000", "0.42", "A-01"),
    ("PAPER-BLACK-SOFT", "Black soft-touch paper", "sheet", "3000", "800", "1000", "0.35", "A-02"),
    ("PAPER-CREAM", "Cream laid paper", "sheet", "2000", "500", "1000", "0.28", "A-03"),
    ("FOIL-GOLD", "Gold hot-stamping foil", "m", "400", "100", "200", "1.10", "B-01"),
    ("FOIL-SILVER", "Silver hot-stamping foil", "m", "300", "100", "200", "1.05", "B-02"),
    ("MAGNET-NEO-10", "Neodymium magnet 10 mm", "pcs", "2000", "1000", "2000", "0.09", "C-01"),
    ("RIBBON-SATIN-BLK", "Black satin ribbon", "m", "600", "200", "500", "0.60", "C-02"),
    ("FOAM-INSERT-EVA", "EVA foam insert", "pcs", "800", "200", "500", "0.75", "C-03"),
    ("TISSUE-WHITE", "White tissue paper", "sheet", "2000", "500", "1000", "0.04", "D-01"),
    ("LABEL-GOLD", "Gold brand label", "pcs", "1500", "300", "1000", "0.05", "D-02"),
    ("SLEEVE-KRAFT", "Kraft sleeve blank", "pcs", "1200", "300", "1000", "0.22", "D-03"),
    ("GLUE-PVA", "PVA glue", "kg", "80", "20", "50", "3.20", "E-01"),
    ("BOX-SHIPPER-L", "Shipping carton L", "pcs", "300", "50", "100", "0.90", "E-02"),
]
LYON_ITEMS = [
    ("BOARD-GREY-2MM", "Grey board 2 mm", "sheet", "1000", "300", "500", "0.44", "L-01"),
    ("PAPER-CREAM", "Cream laid paper", "sheet", "800", "200", "500", "0.29", "L-02"),
    ("GLUE-PVA", "PVA glue", "kg", "30", "10", "25", "3.30", "L-03"),
]
GIFT_BOX_STAGES = [
    {
        "name": "Cutting",
        "estimated_minutes": 30,
        "steps": ["Load board", "Die-cut", "Strip"],
        "parameters": [
            {"name": "blade pressure", "target": "4.5", "unit": "bar", "tolerance": "0.3"}
        ],
    },
    {
        "name": "Wrapping",
        "estimated_minutes": 45,
        "steps": ["Glue paper", "Wrap", "Press"],
        "parameters": [
            {"name": "glue temperature", "target": "180", "unit": "C", "tolerance": "5"}
        ],
    },
    {
        "name": "Foil stamping",
        "estimated_minutes": 20,
        "steps": ["Set die", "Stamp logo"],
        "parameters": [
            {"name": "die temperature", "target": "120", "unit": "C", "tolerance": "3"},
            {"name": "dwell", "target": "0.8", "unit": "s", "tolerance": "0.1"},
        ],
    },
    {
        "name": "Assembly",
        "estimated_minutes": 25,
        "steps": ["Fit magnets", "Insert foam", "Tie ribbon"],
        "parameters": [],
    },
]
SLEEVE_STAGES = [
    {"name": "Printing", "estimated_minutes": 20, "steps": ["Print"], "parameters": []},
    {
        "name": "Folding and gluing",
        "estimated_minutes": 15,
        "steps": ["Fold", "Glue"],
        "parameters": [
            {"name": "glue temperature", "target": "160", "unit": "C", "tolerance": "5"}
        ],
    },
]


def _ok(resp: httpx.Response, *codes: int) -> dict[str, Any]:
    if resp.status_code not in codes:
        raise RuntimeError(
            f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
        )
    return resp.json() if resp.content else {}


def _all(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        q = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        page = _ok(client.get(path, params=q), 200)
        out.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return out


def _remember(client: httpx.Client, ctx: SeedContext) -> None:
    data = ctx.data.setdefault("production", {})
    data["plants"] = {p["code"]: p["id"] for p in _all(client, "/plants")}
    codes = {v: k for k, v in data["plants"].items()}
    data["items"] = {
        f"{i['sku']}@{codes.get(i['plant_id'])}": i["id"] for i in _all(client, "/inventory/items")
    }
    data["products"] = {
        p["sku"]: {"id": p["id"], "version_id": p["versions"][-1]["id"]}
        for p in _all(client, "/products")
    }
    data["orders"] = {o["number"]: o["id"] for o in _all(client, "/orders")}
    data["lots"] = {lot["number"]: lot["id"] for lot in _all(client, "/lots")}


def _product(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    p = _ok(client.post("/products", json=body), 201)
    v = p["versions"][0]["id"]
    _ok(client.post(f"/products/{p['id']}/versions/{v}/release"), 200)
    return {"id": p["id"], "version_id": v}


def _run_production(client: httpx.Client, order_id: str, *, finish: bool) -> None:
    po = _ok(client.post("/production-orders", json={"order_id": order_id}), 201)
    for i, stage in enumerate(po["stages"]):
        base = f"/production-orders/{po['id']}/stages/{stage['id']}"
        _ok(client.post(f"{base}/start"), 200)
        actuals = [{"name": t["name"], "value": t["target"]} for t in stage["targets"]]
        if not finish and i == 0:
            _ok(client.post(f"{base}/parameters", json={"actuals": actuals}), 200)
            return
        _ok(client.post(f"{base}/complete", json={"actuals": actuals}), 200)


def _lot(
    client: httpx.Client,
    order_id: str,
    quantity: int,
    gates: list[str],
    qa_manager: dict[str, str] | None = None,
) -> str:
    lot = _ok(client.post("/lots", json={"order_id": order_id, "quantity": quantity}), 201)
    for gate in gates:
        if gate == "approved" and qa_manager is not None:
            # demo history: lots already approved before quality ran; a QA manager's
            # override (qa:override), with its reason, as production requires
            body = {"to": gate, "override_reason": "Approved before quality inspections ran"}
            _ok(client.post(f"/lots/{lot['id']}/gate", json=body, headers=qa_manager), 200)
            continue
        _ok(client.post(f"/lots/{lot['id']}/gate", json={"to": gate}), 200)
    return str(lot["id"])


def seed(ctx: SeedContext) -> None:
    if "production" not in ctx.service_urls or "tenants" not in ctx.data:
        return
    token = login(ctx, "ops@paco.example", "paco")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=ctx.service_urls["production"], headers=headers, timeout=60) as c:
        if _ok(c.get("/orders", params={"limit": 1}), 200)["items"]:
            _remember(c, ctx)
            return
        plants = {}
        for code, name, address, default in PLANTS:
            plants[code] = _ok(
                c.post(
                    "/plants",
                    json={"code": code, "name": name, "address": address, "is_default": default},
                ),
                201,
            )["id"]
        for plant, rows in (("PACO-MI", ITEMS), ("PACO-LY", LYON_ITEMS)):
            for sku, name, unit, qty, level, lot, cost, loc in rows:
                _ok(
                    c.post(
                        "/inventory/items",
                        json={
                            "plant_id": plants[plant],
                            "sku": sku,
                            "name": name,
                            "unit": unit,
                            "initial_quantity": qty,
                            "reorder_level": level,
                            "reorder_quantity": lot,
                            "unit_cost": cost,
                            "currency": "EUR",
                            "location": loc,
                        },
                    ),
                    201,
                )
        lid = _product(
            c,
            {
                "sku": "LID-ASSY",
                "name": "Lid Assembly",
                "category": "sub-assembly",
                "bom": [
                    {"sku": "BOARD-GREY-2MM", "quantity": "1"},
                    {"sku": "PAPER-BLACK-SOFT", "quantity": "1"},
                    {"sku": "MAGNET-NEO-10", "quantity": "2"},
                    {"sku": "FOIL-GOLD", "quantity": "0.2"},
                ],
            },
        )
        tray = _product(
            c,
            {
                "sku": "BASE-TRAY",
                "name": "Base Tray",
                "category": "sub-assembly",
                "bom": [
                    {"sku": "BOARD-GREY-2MM", "quantity": "1"},
                    {"sku": "PAPER-BLACK-SOFT", "quantity": "1"},
                    {"sku": "MAGNET-NEO-10", "quantity": "2"},
                    {"sku": "FOAM-INSERT-EVA", "quantity": "1"},
                ],
            },
        )
        gift = _product(
            c,
            {
                "sku": "GBX-DLX",
                "name": "Gift Box Deluxe",
                "category": "rigid box",
                "bom": [
                    {"product_id": lid["id"], "quantity": "1"},
                    {"product_id": tray["id"], "quantity": "1"},
                    {"sku": "RIBBON-SATIN-BLK", "quantity": "0.8"},
                    {"sku": "TISSUE-WHITE", "quantity": "2"},
                    {"sku": "LABEL-GOLD", "quantity": "1"},
                    {"sku": "GLUE-PVA", "quantity": "0.02"},
                    {"sku": "BOX-SHIPPER-L", "quantity": "0.1"},
                ],
                "stages": GIFT_BOX_STAGES,
            },
        )
        sleeve = _product(
            c,
            {
                "sku": "PERF-SLV",
                "name": "Perfume Sleeve",
                "category": "sleeve",
                "bom": [
                    {"sku": "SLEEVE-KRAFT", "quantity": "1"},
                    {"sku": "PAPER-CREAM", "quantity": "1"},
                    {"sku": "FOIL-SILVER", "quantity": "0.1"},
                    {"sku": "GLUE-PVA", "quantity": "0.01"},
                ],
                "stages": SLEEVE_STAGES,
            },
        )
        lbx = ctx.data["tenants"]["luxury-brand-x"]
        my = ctx.data["tenants"]["maison-y"]

        def order(
            number: str,
            tenant: str,
            name: str,
            product: dict[str, Any],
            qty: int,
            price: str,
            due: str,
        ) -> str:
            return str(
                _ok(
                    c.post(
                        "/orders",
                        json={
                            "number": number,
                            "customer_tenant_id": tenant,
                            "customer_name": name,
                            "product_id": product["id"],
                            "quantity": qty,
                            "unit_price": price,
                            "currency": "EUR",
                            "due_date": due,
                        },
                    ),
                    201,
                )["id"]
            )

        o1 = order("LBX-1001", lbx, "Luxury Brand X", gift, 200, "14.50", "2026-12-05")
        o2 = order("LBX-1002", lbx, "Luxury Brand X", gift, 150, "14.50", "2026-12-12")
        order("LBX-1003", lbx, "Luxury Brand X", gift, 100, "14.50", "2026-12-19")
        o4 = order("LBX-1004", lbx, "Luxury Brand X", sleeve, 500, "2.10", "2026-12-01")
        o5 = order("MY-2001", my, "Maison Y", sleeve, 300, "2.40", "2026-12-15")
        for oid in (o1, o2, o4, o5):
            _ok(c.post(f"/orders/{oid}/allocate"), 200)
        _run_production(c, o1, finish=True)
        _ok(c.post(f"/orders/{o1}/status", json={"to": "qa"}), 200)
        _run_production(c, o2, finish=False)
        _run_production(c, o4, finish=True)
        for to in ("qa", "packing", "done"):
            _ok(c.post(f"/orders/{o4}/status", json={"to": to}), 200)
        qa = {"Authorization": f"Bearer {login(ctx, 'admin@paco.example', 'paco')}"}
        _lot(c, o1, 120, ["in_production", "qa_pending", "approved"], qa)
        _lot(c, o1, 80, ["in_production", "qa_pending"])
        _lot(c, o2, 150, ["in_production"])
        _lot(c, o4, 500, ["in_production", "qa_pending", "approved", "packed", "shipped"], qa)
        _lot(c, o5, 300, [])
        # a floor operator may not add plants: refused, and the refusal is in the audit
        # records (GET /v1/production/audit-records?outcome=denied); through the gateway,
        # as the operator's own request would go, so the record names its public route
        floor = {"Authorization": f"Bearer {login(ctx, 'operator@paco.example', 'paco')}"}
        nope = {"code": "PACO-X", "name": "Nope"}
        to = f"{ctx.gateway_url}/v1/production/plants"
        _ok(httpx.post(to, json=nope, headers=floor, timeout=60), 403)
        _remember(c, ctx)
