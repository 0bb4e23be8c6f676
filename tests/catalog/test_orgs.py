"""Organisations and relationships: types and profiles, many-to-many, cycles and overlapping
duplicates refused, tenant isolation, who may write."""

from __future__ import annotations

import asyncpg
import pytest

from tests.catalog.conftest import Factory, ok, problem


async def test_org_with_type_inputs_and_etag(factory: Factory) -> None:
    dl = await factory.org(
        "Dealer",
        "dealer",
        regions=["FR", "BE"],
        certifications=["ACME-SVC"],
        contacts=[{"name": "Ana", "email": "ana@dealer.example"}],
        addresses=[{"city": "Lyon", "country": "FR", "region": "FR-ARA"}],
        profile={"storefront_channel_id": None, "permitted_offerings": ["sale"]},
        metadata={"crm": "42"},
    )
    assert dl["type"] == "dealer" and dl["status"] == "active"
    assert dl["profile"] == {"permitted_offerings": ["sale"]}
    assert dl["metadata"] == {"crm": "42"}
    c, h = factory.c, factory.h
    got = await c.get(f"/orgs/{dl['id']}", headers=h)
    assert ok(got)["regions"] == ["FR", "BE"] and got.headers["etag"] == '"1"'
    # a stale If-Match is refused, a current one goes through
    r = await c.patch(
        f"/orgs/{dl['id']}", headers={**h, "If-Match": '"7"'}, json={"status": "inactive"}
    )
    problem(r, 412, "version_mismatch")
    r = await c.patch(
        f"/orgs/{dl['id']}", headers={**h, "If-Match": '"1"'}, json={"status": "suspended"}
    )
    assert ok(r)["status"] == "suspended" and r.headers["etag"] == '"2"'
    listed = await factory.get("/orgs", type="dealer", status="suspended", limit=200)
    assert dl["id"] in {o["id"] for o in listed["items"]}


async def test_profile_must_fit_the_type(factory: Factory) -> None:
    r = await factory.c.post(
        "/orgs",
        headers=factory.h,
        json={"name": factory.name("X"), "type": "hospital", "profile": {"lead_time_days": 3}},
    )
    body = problem(r, 422, "validation_failed")
    assert "hospital" in str(body["errors"])
    r = await factory.c.post("/orgs", headers=factory.h, json={"name": "Y", "type": "wizard"})
    problem(r, 422, "validation_failed")


async def test_relationships_many_to_many_and_refusals(factory: Factory) -> None:
    m1 = await factory.org("ACME", "manufacturer")
    m2 = await factory.org("BioMed", "manufacturer")
    d1 = await factory.org("D1", "distributor")
    d2 = await factory.org("D2", "distributor")
    dl = await factory.org("DL1", "dealer")
    await factory.relate(d1, "distributor_of", m1)
    await factory.relate(dl, "dealer_of", d1)
    await factory.relate(dl, "dealer_of", m2)
    await factory.relate(d2, "distributor_of", d1)  # a sub-distributor
    ups = await factory.get(f"/orgs/{dl['id']}/relationships", direction="parents")
    assert {r["parent_org_id"] for r in ups["items"]} == {d1["id"], m2["id"]}
    downs = await factory.get(f"/orgs/{d1['id']}/relationships", direction="children")
    assert {r["child_org_id"] for r in downs["items"]} == {dl["id"], d2["id"]}

    c, h = factory.c, factory.h
    # the same relationship again in an overlapping window
    r = await c.post(
        f"/orgs/{dl['id']}/relationships",
        headers=h,
        json={"relation_type": "dealer_of", "target_org_id": d1["id"]},
    )
    problem(r, 409, "relationship_overlaps")
    # a cycle: D1 below D2 while D2 is below D1
    r = await c.post(
        f"/orgs/{d1['id']}/relationships",
        headers=h,
        json={"relation_type": "distributor_of", "target_org_id": d2["id"]},
    )
    assert "cycle" in problem(r, 409, "relationship_cycle")["detail"]
    # wrong types, and oneself
    r = await c.post(
        f"/orgs/{m1['id']}/relationships",
        headers=h,
        json={"relation_type": "dealer_of", "target_org_id": d1["id"]},
    )
    problem(r, 422, "invalid_relationship")
    r = await c.post(
        f"/orgs/{d1['id']}/relationships",
        headers=h,
        json={"relation_type": "partner_of", "target_org_id": d1["id"]},
    )
    problem(r, 422, "invalid_relationship")
    # partnership is symmetric: the reverse is a duplicate
    await factory.relate(m1, "partner_of", m2)
    r = await c.post(
        f"/orgs/{m2['id']}/relationships",
        headers=h,
        json={"relation_type": "partner_of", "target_org_id": m1["id"]},
    )
    problem(r, 409, "relationship_overlaps")


async def test_windows_that_do_not_overlap_are_accepted(
    factory: Factory, db: asyncpg.Connection
) -> None:
    m = await factory.org("M", "manufacturer")
    d = await factory.org("D", "distributor")
    await factory.relate(
        d, "distributor_of", m, active_from="2025-01-01T00:00:00Z", active_to="2025-06-01T00:00:00Z"
    )
    await factory.relate(d, "distributor_of", m, active_from="2025-06-01T00:00:00Z")
    r = await factory.c.post(
        f"/orgs/{d['id']}/relationships",
        headers=factory.h,
        json={
            "relation_type": "distributor_of",
            "target_org_id": m["id"],
            "active_from": "2025-05-01T00:00:00Z",
            "active_to": "2025-05-02T00:00:00Z",
        },
    )
    problem(r, 409, "relationship_overlaps")
    # the database itself refuses an overlapping duplicate (exclusion constraint)
    tenant = factory.seed.data["tenants"]["paco"]
    with pytest.raises(asyncpg.ExclusionViolationError):
        await db.execute(
            "INSERT INTO catalog.org_relationships (id, tenant_id, parent_org_id, child_org_id, "
            "relation_type, active_from) VALUES (gen_random_uuid(), $1, $2, $3, "
            "'distributor_of', '2025-07-01')",
            tenant,
            m["id"],
            d["id"],
        )


async def test_who_may_do_what(factory: Factory) -> None:
    c, t = factory.c, factory.tokens
    org = await factory.org("Private", "supplier")
    # a viewer reads, does not write; OPS_MANAGER holds no catalog permission
    assert ok(await c.get(f"/orgs/{org['id']}", headers=t.headers("viewer")))["id"] == org["id"]
    r = await c.post("/orgs", headers=t.headers("viewer"), json={"name": "v", "type": "dealer"})
    problem(r, 403, "missing_permission")
    problem(await c.get("/orgs", headers=t.headers("ops")), 403, "missing_permission")
    # another tenant sees nothing of Paco's
    problem(await c.get(f"/orgs/{org['id']}", headers=t.headers("platform")), 404, "org_not_found")
    theirs = ok(await c.get("/orgs", headers=t.headers("platform"), params={"limit": 200}))
    assert org["id"] not in {o["id"] for o in theirs["items"]}
    # a brand's user is not the provider
    problem(await c.get("/orgs", headers=t.headers("lbx")), 403, "wrong_space")
    problem(await c.get("/orgs"), 401, "missing_token")


async def test_sku_code_unique_per_manufacturer(factory: Factory) -> None:
    m1 = await factory.org("M1", "manufacturer")
    m2 = await factory.org("M2", "manufacturer")
    a = await factory.sku(m1, "P", "S-1")
    p2 = await factory.post(
        "/products", {"manufacturer_org_id": m2["id"], "code": f"Q-{factory.tag}", "name": "Q"}
    )
    # the same code under another manufacturer is fine
    await factory.post("/skus", {"product_id": p2["id"], "sku_code": a["sku_code"]})
    r = await factory.c.post(
        "/skus", headers=factory.h, json={"product_id": a["product_id"], "sku_code": a["sku_code"]}
    )
    problem(r, 409, "code_taken")
    # products belong to manufacturers only; a bad currency is refused
    dl = await factory.org("DL", "dealer")
    r = await factory.c.post(
        "/products",
        headers=factory.h,
        json={"manufacturer_org_id": dl["id"], "code": "x", "name": "x"},
    )
    problem(r, 422, "not_a_manufacturer")
    r = await factory.c.post(
        "/skus",
        headers=factory.h,
        json={"product_id": p2["id"], "sku_code": "Z", "cost": "1", "cost_currency": "XYZ"},
    )
    problem(r, 422, "unknown_currency")
