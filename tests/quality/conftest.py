"""Quality's test helpers: tokens of the demo users, a client through the gateway, and a
factory that makes a fresh plant, product, order and lot in production and moves the lot
through its gates (production's events reach quality through sync, as in production)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.users import Tokens
from tools.seed import SeedContext

Q = "/v1/quality"
P = "/v1/production"


def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    )
    return resp.json() if resp.content else {}


async def eventually(check: Callable[[], Awaitable[Any]], wait: float = 20) -> Any:
    deadline = time.monotonic() + wait
    while True:
        got = await check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


class Factory:
    """Production side, through the gateway as Paco's ops manager; quality as its users."""

    def __init__(self, gw: httpx.AsyncClient, tokens: Tokens, seed: SeedContext) -> None:
        self.gw = gw
        self.tokens = tokens
        self.seed = seed
        self.tag = uuid.uuid4().hex[:8]

    async def product(self, parts: list[dict[str, Any]] | None = None) -> tuple[str, str]:
        """(plant id, product sku) of a fresh plant and released product. `parts`: its
        stocked components ({name, unit, quantity per box, bom_unit?}); one piece part by
        default."""
        self.tag = uuid.uuid4().hex[:8]
        h = self.tokens.h("ops")
        plant = ok(
            await self.gw.post(
                f"{P}/plants", headers=h, json={"code": f"Q-{self.tag}", "name": "QA plant"}
            ),
            201,
        )
        bom = []
        for n, part in enumerate(parts or [{"name": None, "unit": "pcs", "quantity": 1}]):
            part_sku = f"PART-{self.tag}" if n == 0 else f"PART-{self.tag}-{n}"
            ok(
                await self.gw.post(
                    f"{P}/inventory/items",
                    headers=h,
                    json={
                        "plant_id": plant["id"],
                        "sku": part_sku,
                        "name": part["name"] or part_sku,
                        "unit": part["unit"],
                        "initial_quantity": "100000",
                    },
                ),
                201,
            )
            bom.append(
                {"sku": part_sku, "quantity": part["quantity"], "unit": part.get("bom_unit")}
            )
        sku = f"BOX-{self.tag}"
        product = ok(
            await self.gw.post(
                f"{P}/products", headers=h, json={"sku": sku, "name": "Box", "bom": bom}
            ),
            201,
        )
        version = product["versions"][0]["id"]
        self.version_id = version
        ok(
            await self.gw.post(
                f"{P}/products/{product['id']}/versions/{version}/release", headers=h
            )
        )
        self.product_id = product["id"]
        return plant["id"], sku

    async def lot(
        self,
        plant_id: str,
        quantity: int,
        customer: str = "luxury-brand-x",
        order_quantity: int | None = None,
    ) -> dict[str, Any]:
        h = self.tokens.h("ops")
        order = ok(
            await self.gw.post(
                f"{P}/orders",
                headers=h,
                json={
                    "number": f"Q-{self.tag}-{uuid.uuid4().hex[:6]}",
                    "customer_tenant_id": self.seed.data["tenants"][customer],
                    "plant_id": plant_id,
                    "product_id": self.product_id,
                    "quantity": order_quantity or quantity,
                    "unit_price": "9.90",
                    "currency": "EUR",
                    "due_date": "2026-12-31",
                },
            ),
            201,
        )
        # production lets lots into production once their order's stock is reserved
        ok(await self.gw.post(f"{P}/orders/{order['id']}/allocate", headers=h))
        return ok(
            await self.gw.post(
                f"{P}/lots", headers=h, json={"order_id": order["id"], "quantity": quantity}
            ),
            201,
        )

    async def gate(self, lot_id: str, to: str, who: str = "admin", **extra: Any) -> dict[str, Any]:
        return ok(
            await self.gw.post(
                f"{P}/lots/{lot_id}/gate", headers=self.tokens.h(who), json={"to": to, **extra}
            )
        )

    async def checklist(self, sku: str, **extra: Any) -> dict[str, Any]:
        body = {
            "product_sku": sku,
            "product_version": "1",
            "name": f"Final QA {sku}",
            "items": [
                {"category": "Visual", "label": "No scratches on the lid", "mandatory": True},
                {
                    "category": "Dimensional",
                    "label": "Lid width",
                    "check_type": "measurement",
                    "target": "120.0",
                    "tolerance": "0.5",
                    "unit": "mm",
                },
                {"category": "Functional", "label": "Magnet closes", "mandatory": True},
                {"category": "Packaging", "label": "Tissue folded", "mandatory": False},
            ],
            **extra,
        }
        return ok(
            await self.gw.post(f"{Q}/checklists", headers=self.tokens.h("admin"), json=body),
            201,
        )

    async def inspection_of(self, lot_id: str, round_: int = 1) -> dict[str, Any]:
        async def find() -> dict[str, Any] | None:
            page = ok(
                await self.gw.get(
                    f"{Q}/inspections",
                    headers=self.tokens.h("inspector"),
                    params={"lot_id": lot_id},
                )
            )
            got = [i for i in page["items"] if i["round"] == round_]
            return got[0] if got else None

        return await eventually(find)


@pytest.fixture
def factory(gateway: httpx.AsyncClient, tokens: Tokens, seed: SeedContext) -> Factory:
    return Factory(gateway, tokens, seed)
