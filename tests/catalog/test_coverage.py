"""Service coverage: Example C exactly (policies off, then on: DL1 responsible, escalation to
D1 then M1 on SLA breach), provenance, QR tickets without an account (rate-limited), engineers
and the eligible-engineers query, policy precedence."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from libs.common.db import Database
from services.catalog.coverage.escalation import escalate_overdue, escalate_ticket
from tests.catalog.conftest import Factory, ok, problem
from tools.stack import Stack


@pytest.fixture
async def catalog_db(stack: Stack) -> AsyncIterator[Database]:
    db = Database(stack.service_dsn("catalog"), schema="catalog", pool_size=2, max_overflow=0)
    try:
        yield db
    finally:
        await db.dispose()


async def example_c(factory: Factory) -> dict[str, Any]:
    m1 = await factory.org("ACME", "manufacturer")
    d1 = await factory.org("D1", "distributor", regions=["FR"], certifications=["ACME-SVC"])
    dl1 = await factory.org("DL1", "dealer", regions=["FR-IDF"], certifications=["ACME-SVC"])
    dl2 = await factory.org("DL2", "dealer", regions=["FR-IDF"])  # no certification
    h1 = await factory.org("H1", "hospital", regions=["FR-IDF"])
    await factory.relate(d1, "distributor_of", m1)
    await factory.relate(dl1, "dealer_of", d1)
    await factory.relate(dl2, "dealer_of", d1)
    sku = await factory.sku(m1, "P-A", "S-A1")
    e123 = await factory.post(
        "/equipment",
        {
            "serial_number": f"E-123-{factory.tag}",
            "sku_id": sku["id"],
            "owner_org_id": h1["id"],
            "site": {"name": "H1 radiology"},
            "region": "FR-IDF",
        },
    )
    assert e123["manufacturer_org_id"] == m1["id"]  # from the SKU
    return locals()


def policy_body(m1: dict[str, Any], **rules: Any) -> dict[str, Any]:
    return {
        "name": "ACME coverage",
        "scope": "manufacturer",
        "org_id": m1["id"],
        "rules": {
            "assignment_order": ["dealer", "distributor", "manufacturer"],
            "eligibility": {"required_certifications": ["ACME-SVC"], "match_territory": True},
            "sla": {"critical": {"response_minutes": 60, "resolve_minutes": 480}},
            **rules,
        },
    }


async def qr(c: httpx.AsyncClient, code: str, status: int = 201, **body: Any) -> Any:
    body.setdefault("subject", "Scanner does not start")
    return ok(await c.post(f"/qr/{code}/tickets", json=body), status)


async def test_example_c(factory: Factory, catalog_db: Database, db: asyncpg.Connection) -> None:
    x = await example_c(factory)
    c, m1, d1, dl1, dl2 = factory.c, x["m1"], x["d1"], x["dl1"], x["dl2"]
    code = x["e123"]["qr_code"]
    internal = await factory.post(
        "/engineers", {"name": f"Internal {factory.tag}", "regions": ["FR"], "skills": ["imaging"]}
    )

    # 1. policies disabled: a QR ticket has no responsible org; the internal pool answers
    receipt = await qr(c, code, severity="critical", reporter={"name": "Nurse Joy"})
    t = await factory.get(f"/tickets/{receipt['ticket_id']}")
    assert t["source"] == "qr" and t["responsible_org_id"] is None
    assert t["coverage_policy_id"] is None and t["escalation_path"] == []
    assert t["provenance"]["rule"] == "no_policy"
    assert t["provenance"]["fallback"] == "internal_pool"
    assert internal["id"] in t["provenance"]["suggested_engineer_ids"]
    assert t["reporter"] == {"name": "Nurse Joy", "email": None, "phone": None}

    # 2. policies enabled: dealer -> distributor -> manufacturer; DL1 holds the cert
    r = await c.put("/policies/service-coverage", headers=factory.h, json=policy_body(m1))
    policy = ok(r, 201)
    receipt = await qr(c, code, severity="critical")
    t = await factory.get(f"/tickets/{receipt['ticket_id']}")
    assert t["responsible_org_id"] == dl1["id"]
    assert t["coverage_policy_id"] == policy["id"]
    assert t["escalation_path"] == [dl1["id"], d1["id"], m1["id"]]
    prov = t["provenance"]
    assert prov["rule"] == "assignment_order" and prov["policy_scope"] == "manufacturer"
    by_org = {cand["org_id"]: cand for cand in prov["candidates"]}
    assert by_org[dl1["id"]]["eligible"] and by_org[dl1["id"]]["chosen_for_level"] == 0
    assert by_org[dl2["id"]]["reasons"] == ["missing certification ACME-SVC"]
    assert by_org[d1["id"]]["chosen_for_level"] == 1
    assert by_org[m1["id"]]["chosen_for_level"] == 2
    created = datetime.fromisoformat(t["created_at"])
    due = datetime.fromisoformat(t["response_due_at"])
    assert timedelta(minutes=59) < due - created <= timedelta(minutes=61)

    # 3. the SLA passes: the scheduled sweep escalates to D1, then to M1, then marks it breached
    tid, tenant = uuid.UUID(t["id"]), uuid.UUID(factory.seed.data["tenants"]["paco"])
    assert not await escalate_ticket(catalog_db, tenant, tid, due - timedelta(minutes=1))
    assert await escalate_overdue(catalog_db, due + timedelta(minutes=1)) >= 1
    t = await factory.get(f"/tickets/{t['id']}")
    assert (t["responsible_org_id"], t["level"], t["breached"]) == (d1["id"], 1, False)
    due2 = datetime.fromisoformat(t["response_due_at"])
    assert due2 > due  # a fresh clock for D1
    assert await escalate_ticket(catalog_db, tenant, tid, due2 + timedelta(minutes=1))
    t = await factory.get(f"/tickets/{t['id']}")
    assert (t["responsible_org_id"], t["level"]) == (m1["id"], 2)
    due3 = datetime.fromisoformat(t["response_due_at"])
    assert await escalate_ticket(catalog_db, tenant, tid, due3 + timedelta(minutes=1))
    assert not await escalate_ticket(catalog_db, tenant, tid, due3 + timedelta(hours=9))
    t = await factory.get(f"/tickets/{t['id']}")
    assert (t["responsible_org_id"], t["breached"]) == (m1["id"], True)
    steps = (await factory.get(f"/tickets/{t['id']}/escalations"))["items"]
    assert [(s["from_org_id"], s["to_org_id"], s["level"]) for s in steps] == [
        (dl1["id"], d1["id"], 1),
        (d1["id"], m1["id"], 2),
        (m1["id"], None, 3),
    ]
    assert "without acknowledgement" in steps[0]["reason"] and "breached" in steps[2]["reason"]
    rows = await db.fetch(
        "SELECT type, data FROM catalog.outbox WHERE subject = $1 ORDER BY created_at",
        f"tickets/{t['id']}",
    )
    events = [(r["type"], json.loads(r["data"]).get("to_org_id")) for r in rows]
    assert events == [
        ("catalog.ticket.created", None),
        ("catalog.ticket.escalated", d1["id"]),
        ("catalog.ticket.escalated", m1["id"]),
        ("catalog.ticket.escalated", None),
    ]

    # 4. an acknowledged ticket does not escalate on the response target
    other = await factory.post(
        "/tickets",
        {"serial_number": x["e123"]["serial_number"], "severity": "critical", "subject": "noise"},
    )
    assert other["source"] == "user" and other["responsible_org_id"] == dl1["id"]
    ok(await c.post(f"/tickets/{other['id']}/acknowledge", headers=factory.h))
    far = datetime.fromisoformat(other["response_due_at"]) + timedelta(minutes=5)
    assert not await escalate_ticket(catalog_db, tenant, uuid.UUID(other["id"]), far)
    problem(
        await c.post(f"/tickets/{other['id']}/acknowledge", headers=factory.h),
        409,
        "invalid_ticket_move",
    )


async def test_engineers_and_manual_assignment(factory: Factory) -> None:
    x = await example_c(factory)
    c, dl1, d1 = factory.c, x["dl1"], x["d1"]
    ok(await c.put("/policies/service-coverage", headers=factory.h, json=policy_body(x["m1"])), 201)
    ticket = await factory.post("/tickets", {"equipment_id": x["e123"]["id"], "subject": "x"})
    near = await factory.post(
        "/engineers",
        {
            "name": "A near",
            "org_id": dl1["id"],
            "skills": ["imaging", "x-ray"],
            "regions": ["FR-IDF"],
        },
    )
    wide = await factory.post(
        "/engineers",
        {"name": "B wide", "org_id": dl1["id"], "skills": ["imaging"], "regions": ["FR"]},
    )
    await factory.post("/engineers", {"name": "C away", "org_id": dl1["id"], "regions": ["DE"]})
    await factory.post("/engineers", {"name": "D off", "org_id": dl1["id"], "available": False})
    theirs = await factory.post("/engineers", {"name": "E distributor", "org_id": d1["id"]})
    got = ok(
        await c.get("/engineers/eligible", headers=factory.h, params={"ticket_id": ticket["id"]})
    )
    assert [e["id"] for e in got] == [near["id"], wide["id"]]
    got = ok(
        await c.get(
            "/engineers/eligible",
            headers=factory.h,
            params={"ticket_id": ticket["id"], "skills": ["x-ray"]},
        )
    )
    assert [e["id"] for e in got] == [near["id"]]
    assigned = ok(
        await c.post(
            f"/tickets/{ticket['id']}/assign", headers=factory.h, json={"engineer_id": near["id"]}
        )
    )
    assert assigned["assigned_engineer_id"] == near["id"]
    r = await c.post(
        f"/tickets/{ticket['id']}/assign", headers=factory.h, json={"engineer_id": theirs["id"]}
    )
    problem(r, 422, "engineer_not_eligible")


async def test_qr_tickets_are_public_and_rate_limited(
    factory: Factory, gateway: httpx.AsyncClient
) -> None:
    x = await example_c(factory)
    code = x["e123"]["qr_code"]
    # through the gateway, with no token at all
    r = await gateway.post(f"/v1/catalog/qr/{code}/tickets", json={"subject": "Leak"})
    body = ok(r, 201)
    assert set(body) == {"ticket_id", "status", "response_due_at"}  # nothing about who
    # every other catalog route still needs a token
    problem(await gateway.get("/v1/catalog/tickets"), 401, "missing_token")
    for _ in range(4):
        await qr(factory.c, code)
    r = await factory.c.post(f"/qr/{code}/tickets", json={"subject": "again"})
    problem(r, 429, "qr_rate_limited")
    assert int(r.headers["retry-after"]) > 0
    problem(
        await factory.c.post(f"/qr/{'x' * 24}/tickets", json={"subject": "?"}),
        404,
        "equipment_not_found",
    )
    problem(
        await factory.c.post("/qr/short/tickets", json={"subject": "?"}), 422, "validation_failed"
    )


async def test_owner_policy_comes_before_the_manufacturers(factory: Factory) -> None:
    x = await example_c(factory)
    c = factory.c
    ok(await c.put("/policies/service-coverage", headers=factory.h, json=policy_body(x["m1"])), 201)
    hospital = {
        "name": "H1 contract: the maker answers",
        "scope": "org",
        "org_id": x["h1"]["id"],
        "rules": {"assignment_order": ["manufacturer"]},
    }
    ok(await c.put("/policies/service-coverage", headers=factory.h, json=hospital), 201)
    t = await factory.post("/tickets", {"equipment_id": x["e123"]["id"], "subject": "x"})
    assert t["responsible_org_id"] == x["m1"]["id"] and t["provenance"]["policy_scope"] == "org"
    # replacing it (PUT again) disables it: back to the manufacturer's policy
    ok(
        await c.put(
            "/policies/service-coverage", headers=factory.h, json={**hospital, "enabled": False}
        ),
        200,
    )
    t = await factory.post("/tickets", {"equipment_id": x["e123"]["id"], "subject": "x"})
    assert t["responsible_org_id"] == x["dl1"]["id"]
    r = await c.put(
        "/policies/service-coverage", headers=factory.h, json={**hospital, "scope": "manufacturer"}
    )
    problem(r, 422, "invalid_policy_scope")


async def test_a_global_policy_with_business_hours(factory: Factory) -> None:
    """In another tenant (the operator), so the global policy touches no other test."""
    c, h = factory.c, factory.tokens.headers("platform")
    tag = factory.tag
    m = ok(await c.post("/orgs", headers=h, json={"name": f"M {tag}", "type": "manufacturer"}), 201)
    sp = ok(
        await c.post(
            "/orgs",
            headers=h,
            json={"name": f"SP {tag}", "type": "service_provider", "regions": ["IT"]},
        ),
        201,
    )
    ok(
        await c.post(
            f"/orgs/{sp['id']}/relationships",
            headers=h,
            json={"relation_type": "partner_of", "target_org_id": m["id"]},
        ),
        201,
    )
    p = ok(
        await c.post(
            "/products",
            headers=h,
            json={"manufacturer_org_id": m["id"], "code": f"P{tag}", "name": "P"},
        ),
        201,
    )
    eq = ok(
        await c.post(
            "/equipment",
            headers=h,
            json={"serial_number": f"S{tag}", "manufacturer_org_id": m["id"], "region": "IT-MI"},
        ),
        201,
    )
    assert p["manufacturer_org_id"] == m["id"]
    body = {
        "name": "Global",
        "scope": "global",
        "rules": {
            "assignment_order": ["service_provider", "manufacturer"],
            "business_hours": {"timezone": "Europe/Rome", "start": "09:00", "end": "17:00"},
            "sla": {"low": {"response_minutes": 120, "resolve_minutes": 960}},
        },
    }
    # the operator tenant has no global policy until this test makes it
    ok(await c.put("/policies/service-coverage", headers=h, json=body), 201)
    t = ok(
        await c.post(
            "/tickets",
            headers=h,
            json={"equipment_id": eq["id"], "severity": "low", "subject": "x"},
        ),
        201,
    )
    assert t["responsible_org_id"] == sp["id"] and t["provenance"]["policy_scope"] == "global"
    due = datetime.fromisoformat(t["response_due_at"]).astimezone(UTC)
    # two open hours later, inside Rome's 09:00-17:00 on a weekday
    from zoneinfo import ZoneInfo

    local = due.astimezone(ZoneInfo("Europe/Rome"))
    assert local.weekday() < 5 and 9 <= local.hour <= 17
    ok(await c.put("/policies/service-coverage", headers=h, json={**body, "enabled": False}))
