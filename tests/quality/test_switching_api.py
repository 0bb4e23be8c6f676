"""ISO 2859-1 switching in the service (in-process, one rolled-back transaction): lot
outcomes move a product's record, the next inspection's plan comes from the table of its
state, the QA lead's conditions and resume, and the record stays the tenant's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from libs.common.auth import Space
from services.quality.inspections.service import open_for_lot
from services.quality.models import Inspection, Lot
from services.quality.sampling.schemas import SamplingSpec
from services.quality.sampling.service import plan
from services.quality.switching.service import record_outcome
from tests.fixtures.auth import TestKey

SKU = "BOX-SW-1"


class Quality:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, key: TestKey) -> None:
        self.app = app
        self.http = client
        self.key = key
        self.tenant = uuid.uuid4()
        self.lead = key.headers(self.tenant)

    async def lot(self, quantity: int = 1000, *, again: Lot | None = None) -> Lot:
        """A lot of the product at qa_pending and its inspection, opened as intake does
        (`again`: that lot back from a rework, its next round)."""
        async with self.app.state.db.transaction(self.tenant) as session:
            if again is not None:
                lot = await session.get(Lot, again.id)
                assert lot is not None
                lot.qa_round += 1
                await session.flush()
                await open_for_lot(session, lot)
                return lot
            lot = Lot(
                id=uuid.uuid4(),
                tenant_id=self.tenant,
                number=f"L-{uuid.uuid4().hex[:6]}",
                product_sku=SKU,
                quantity=quantity,
                gate="qa_pending",
                qa_round=1,
                gate_changed_at=datetime.now(UTC),
            )
            session.add(lot)
            await session.flush()
            await open_for_lot(session, lot)
        return lot

    async def inspection_of(self, lot: Lot) -> dict[str, Any]:
        """The lot's newest inspection (its current round)."""
        page = (
            await self.http.get("/inspections", headers=self.lead, params={"lot_id": str(lot.id)})
        ).json()
        return max(page["items"], key=lambda i: i["round"])

    async def plan_of(self, lot: Lot) -> dict[str, Any]:
        return (await self.inspection_of(lot))["plan"]

    async def inspect(self, lot: Lot, *, critical: bool) -> dict[str, Any]:
        """Start, record (a critical defect fails the lot), complete: as an inspector would."""
        url = f"/inspections/{(await self.inspection_of(lot))['id']}"
        assert (await self.http.post(f"{url}/start", headers=self.lead)).status_code == 200
        if critical:
            defect = {"unit": 1, "severity": "critical", "description": "Lid cracked"}
            made = await self.http.post(f"{url}/defects", headers=self.lead, json=defect)
            assert made.status_code == 201, made.text
        done = await self.http.post(f"{url}/complete", headers=self.lead)
        assert done.status_code == 200, done.text
        return done.json()

    async def judged(self, *verdicts: str, round_: int = 1, accept: int = 1) -> None:
        """Inspections of lots of the product (round 1: original ones) completed with
        `verdicts`, on a plan with Ac 1 (or Ac 2 when `accept` >= 2), as `complete` hands
        them over."""
        spec, lot_size = _spec(accept)
        sampled = plan(lot_size, spec, "test").model_dump()
        async with self.app.state.db.transaction(self.tenant) as session:
            for verdict in verdicts:
                await record_outcome(
                    session,
                    Inspection(
                        id=uuid.uuid4(),
                        tenant_id=self.tenant,
                        lot_id=uuid.uuid4(),
                        round=round_,
                        lot_number="L",
                        product_sku=SKU,
                        plan=sampled,
                        verdict=verdict,
                        counts={"nonconforming_units": 0, "minor_units": 0},
                    ),
                )

    async def state(self) -> dict[str, Any]:
        resp = await self.http.get(f"/products/{SKU}/switching", headers=self.lead)
        assert resp.status_code == 200, resp.text
        assert resp.headers["etag"] == f'"{resp.json()["version"]}"'
        return resp.json()


def _spec(accept: int) -> tuple[SamplingSpec, int]:
    # level II, AQL 1.0: lot 200 -> G, arrow down to H (n 50) Ac 1; lot 1000 -> J (n 80) Ac 2
    return SamplingSpec(aql="1.0"), (200 if accept < 2 else 1000)


@pytest.fixture
async def quality(
    service_app: Callable[[str], Awaitable[FastAPI]], test_key: TestKey
) -> AsyncIterator[Quality]:
    app = await service_app("quality")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://quality.test") as client:
        q = Quality(app, client, test_key)
        made = await client.put(f"/products/{SKU}", headers=q.lead, json={"name": "Box"})
        assert made.status_code == 200, made.text
        yield q


async def test_two_rejections_tighten_and_the_next_plan_comes_from_table_2b(
    quality: Quality,
) -> None:
    q = quality
    fresh = await q.state()
    assert (fresh["state"], fresh["version"], fresh["lots"]) == ("normal", 0, 0)
    before = await q.lot()
    normal = await q.plan_of(before)
    # lot 1000, level II, AQL 1.0: J, Table 2-A n 80 Ac 2 Re 3
    assert (normal["severity"], normal["switching"]) == ("normal", "normal")
    assert (normal["sample_size"], normal["accept"], normal["reject"]) == (80, 2, 3)

    await q.judged("failed")
    await q.judged("failed", round_=2)  # a resubmitted lot does not count
    one = await q.state()
    assert (one["state"], one["lots"], one["recent_accepted"]) == ("normal", 1, [False])
    await q.judged("passed", "failed")
    tight = await q.state()
    assert (tight["state"], tight["severity"], tight["lots"]) == ("tightened", "tightened", 3)
    assert [(h["from"], h["to"]) for h in tight["history"]] == [("normal", "tightened")]
    assert tight["history"][0]["inspection_id"]
    after = await q.plan_of(await q.lot())
    # Table 2-B, J at AQL 1.0: n 80 Ac 1 Re 2
    assert (after["severity"], after["switching"]) == ("tightened", "tightened")
    assert (after["sample_size"], after["accept"], after["reject"]) == (80, 1, 2)
    # five accepted in a row: normal again
    await q.judged(*["passed"] * 5)
    assert (await q.state())["state"] == "normal"


async def test_completed_inspections_move_the_record_and_a_rework_round_does_not(
    quality: Quality,
) -> None:
    q = quality
    first = await q.lot()
    assert (await q.inspect(first, critical=True))["verdict"] == "failed"
    after_one = await q.state()
    assert (after_one["lots"], after_one["recent_accepted"]) == (1, [False])
    # the rejected lot, reworked, fails again on its second round: not an original inspection
    second_round = await q.lot(again=first)
    assert (await q.inspection_of(second_round))["round"] == 2
    assert (await q.inspect(second_round, critical=True))["verdict"] == "failed"
    assert (await q.state())["lots"] == 1
    passed = await q.lot()
    assert (await q.inspect(passed, critical=False))["verdict"] == "passed"
    failed = await q.lot()
    done = await q.inspect(failed, critical=True)
    record = await q.state()
    assert (record["state"], record["lots"]) == ("tightened", 3)
    assert record["history"][-1]["inspection_id"] == done["id"]
    assert (await q.plan_of(await q.lot()))["severity"] == "tightened"


async def test_five_rejections_on_tightened_discontinue_until_the_lead_resumes(
    quality: Quality,
) -> None:
    q = quality
    await q.judged("failed", "failed")  # tightened
    lot = await q.lot()
    page = (await q.http.get("/inspections", headers=q.lead, params={"lot_id": str(lot.id)})).json()
    inspection_id = page["items"][0]["id"]
    await q.judged("failed", "passed", "failed", "failed", "failed", "failed")
    stopped = await q.state()
    assert (stopped["state"], stopped["severity"]) == ("discontinued", "tightened")
    assert stopped["rejected_on_tightened"] == 0

    refused = await q.http.post(f"/inspections/{inspection_id}/start", headers=q.lead)
    assert (refused.status_code, refused.json()["code"]) == (409, "sampling_discontinued")
    # a new lot's plan is tightened, and says the product is discontinued
    assert (await q.plan_of(await q.lot()))["switching"] == "discontinued"

    stale = await q.http.post(
        f"/products/{SKU}/switching/resume",
        headers={**q.lead, "If-Match": f'"{stopped["version"] - 1}"'},
        json={"reason": "die-cutter replaced"},
    )
    assert (stale.status_code, stale.json()["code"]) == (412, "version_mismatch")
    resumed = await q.http.post(
        f"/products/{SKU}/switching/resume",
        headers={**q.lead, "If-Match": f'"{stopped["version"]}"'},
        json={"reason": "die-cutter replaced"},
    )
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["state"] == "tightened"
    assert body["history"][-1]["reason"] == "corrective action: die-cutter replaced"
    again = await q.http.post(
        f"/products/{SKU}/switching/resume", headers=q.lead, json={"reason": "x y"}
    )
    assert (again.status_code, again.json()["code"]) == (409, "not_discontinued")
    started = await q.http.post(f"/inspections/{inspection_id}/start", headers=q.lead)
    assert started.status_code == 200, started.text


async def test_reduced_needs_the_score_and_the_leads_approval_and_ends_on_a_rejection(
    quality: Quality,
) -> None:
    q = quality
    # Ac 1 plans: +2 per accepted lot; 15 lots make 30
    await q.judged(*["passed"] * 15)
    scored = await q.state()
    assert (scored["state"], scored["score"]) == ("normal", 30)
    approve = await q.http.put(
        f"/products/{SKU}/switching",
        headers={**q.lead, "If-Match": f'"{scored["version"]}"'},
        json={"reduced_approved": True},
    )
    assert approve.status_code == 200, approve.text
    assert approve.json()["state"] == "reduced"
    reduced = await q.plan_of(await q.lot())
    # Table 2-C (1999), J at AQL 1.0: n 32 Ac 1 Re 2
    assert (reduced["severity"], reduced["sample_size"], reduced["accept"], reduced["reject"]) == (
        "reduced",
        32,
        1,
        2,
    )
    await q.judged("passed", "failed")
    back = await q.state()
    assert (back["state"], back["score"]) == ("normal", 0)
    assert [h["to"] for h in back["history"]] == ["reduced", "normal"]
    # irregular production withdraws reduced inspection at once
    await q.judged(*["passed"] * 15)
    assert (await q.state())["state"] == "reduced"
    irregular = await q.http.put(
        f"/products/{SKU}/switching", headers=q.lead, json={"production_steady": False}
    )
    assert irregular.json()["state"] == "normal"
    assert irregular.json()["history"][-1]["reason"] == "production irregular or delayed"


async def test_the_record_is_the_tenants_and_the_providers_only(
    quality: Quality, test_key: TestKey
) -> None:
    q = quality
    await q.judged("failed", "failed")
    other = test_key.headers(uuid.uuid4())
    for method, path, body in (
        ("GET", f"/products/{SKU}/switching", None),
        ("PUT", f"/products/{SKU}/switching", {"reduced_approved": True}),
        ("POST", f"/products/{SKU}/switching/resume", {"reason": "not mine"}),
    ):
        resp = await q.http.request(method, path, headers=other, json=body)
        assert (resp.status_code, resp.json()["code"]) == (404, "product_not_found"), path
    assert (await q.http.get("/sampling/switching", headers=other)).json()["items"] == []
    mine = (await q.http.get("/sampling/switching", headers=q.lead)).json()["items"]
    assert [(i["product_sku"], i["state"]) for i in mine] == [(SKU, "tightened")]
    tightened = await q.http.get("/sampling/switching", headers=q.lead, params={"state": "reduced"})
    assert tightened.json()["items"] == []
    brand = test_key.headers(uuid.uuid4(), space=Space.CLIENT, parent_tenant_id=q.tenant)
    resp = await q.http.get(f"/products/{SKU}/switching", headers=brand)
    assert (resp.status_code, resp.json()["code"]) == (403, "wrong_space")
    inspector = test_key.headers(q.tenant, perms=["inspections:read", "inspections:write"])
    resp = await q.http.put(
        f"/products/{SKU}/switching", headers=inspector, json={"reduced_approved": True}
    )
    assert (resp.status_code, resp.json()["code"]) == (403, "missing_permission")
    assert (await q.state())["state"] == "tightened"
