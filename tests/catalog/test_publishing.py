"""Channel catalogs: Example A exactly, dedupe by precedence, eligibility with clear errors,
versions (immutable, diff, rollback, audit), events, and what a linked client tenant sees."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.catalog.conftest import Factory, ok, problem


async def example_a(factory: Factory) -> dict[str, Any]:
    m1 = await factory.org("ACME", "manufacturer")
    m2 = await factory.org("BioMed", "manufacturer")
    d1 = await factory.org("D1", "distributor", regions=["FR"])
    dl1 = await factory.org("DL1", "dealer", regions=["FR-IDF"], certifications=["ACME-SVC"])
    await factory.relate(d1, "distributor_of", m1)
    await factory.relate(dl1, "dealer_of", d1)
    await factory.relate(dl1, "dealer_of", m2)
    s_a1 = await factory.sku(m1, "P-A", "S-A1", category="imaging")
    s_b1 = await factory.sku(m2, "P-B", "S-B1", category="monitoring")
    dist = await factory.channel("Distributor channel", "distributor")
    dealer = await factory.channel("Dealer channel", "dealer")
    acme_to_d1 = await factory.catalog(dist, d1, m1)
    d1_to_dl1 = await factory.catalog(dealer, dl1, d1)
    biomed_to_dl1 = await factory.catalog(dealer, dl1, m2)
    await factory.publish(acme_to_d1, s_a1)  # ACME publishes S-A1 to D1
    await factory.publish(d1_to_dl1, s_a1)  # D1 publishes S-A1 to DL1
    await factory.publish(biomed_to_dl1, s_b1)  # BioMed publishes S-B1 directly to DL1
    return locals()


async def test_example_a(factory: Factory) -> None:
    a = await example_a(factory)
    listed = (await factory.get("/listings", org_id=a["dl1"]["id"], channel_id=a["dealer"]["id"]))[
        "items"
    ]
    # every channel: the same two, besides catalogs other tests published for everyone
    everywhere = (await factory.get("/listings", org_id=a["dl1"]["id"], limit=200))["items"]
    assert [x for x in everywhere if x["via"]["path"] != "global"] == listed
    assert [(x["sku_code"], x["via"]["publisher_org_id"], x["via"]["path"]) for x in listed] == [
        (a["s_a1"]["sku_code"], a["d1"]["id"], "other"),  # S-A1 via D1
        (a["s_b1"]["sku_code"], a["m2"]["id"], "direct"),  # S-B1 direct from BioMed
    ]
    assert listed[0]["manufacturer_org_id"] == a["m1"]["id"]
    assert listed[0]["via"]["channel_id"] == a["dealer"]["id"]
    # D1's own catalog lists S-A1 from ACME
    d1_listed = (await factory.get("/listings", org_id=a["d1"]["id"]))["items"]
    assert [(x["sku_code"], x["via"]["path"]) for x in d1_listed] == [
        (a["s_a1"]["sku_code"], "direct")
    ]
    # filtered by channel
    none = await factory.get("/listings", org_id=a["dl1"]["id"], channel_id=a["dist"]["id"])
    assert none["items"] == []


async def test_a_sku_reached_twice_is_listed_once_by_precedence(factory: Factory) -> None:
    a = await example_a(factory)
    dl1, m1 = a["dl1"], a["m1"]
    d2 = await factory.org("D2", "distributor")
    await factory.relate(d2, "distributor_of", m1)
    await factory.relate(dl1, "dealer_of", d2)
    await factory.publish(await factory.catalog(a["dist"], d2, m1), a["s_a1"])
    await factory.publish(await factory.catalog(a["dealer"], dl1, d2), a["s_a1"])

    def s_a1(items: list[dict[str, Any]]) -> dict[str, Any]:
        found = [x for x in items if x["sku_id"] == a["s_a1"]["id"]]
        assert len(found) == 1  # listed once
        return found[0]

    # two distributors, none preferred: the tie goes to the publisher's name (D1 < D2)
    item = s_a1((await factory.get("/listings", org_id=dl1["id"]))["items"])
    assert item["via"]["publisher_org_id"] == a["d1"]["id"]
    assert [s["publisher_org_id"] for s in item["also_via"]] == [d2["id"]]
    # the dealer prefers D2: preferred distributor beats the others
    ok(
        await factory.c.patch(
            f"/orgs/{dl1['id']}",
            headers=factory.h,
            json={"profile": {"preferred_distributors": [d2["id"]]}},
        )
    )
    item = s_a1((await factory.get("/listings", org_id=dl1["id"]))["items"])
    assert (item["via"]["publisher_org_id"], item["via"]["path"]) == (
        d2["id"],
        "preferred_distributor",
    )
    # ACME publishes it directly: direct beats every distributor
    await factory.relate(dl1, "dealer_of", m1)
    await factory.publish(await factory.catalog(a["dealer"], dl1, m1), a["s_a1"])
    item = s_a1((await factory.get("/listings", org_id=dl1["id"]))["items"])
    assert (item["via"]["publisher_org_id"], item["via"]["path"]) == (m1["id"], "direct")
    assert [s["path"] for s in item["also_via"]] == ["preferred_distributor", "other"]


async def test_eligibility_is_enforced_with_clear_errors(factory: Factory) -> None:
    a = await example_a(factory)
    c, h = factory.c, factory.h
    # D1 never received S-B1, so it cannot publish it
    r = await c.post(
        f"/catalogs/{a['d1_to_dl1']['id']}/draft", headers=h, json={"sku_id": a["s_b1"]["id"]}
    )
    body = problem(r, 422, "not_eligible")
    assert body["problems"][0]["code"] == "item_not_available"
    assert "neither makes" in body["detail"]
    # certifications and territories gate what a dealer may list
    s_a2 = await factory.sku(a["m1"], "P-A2", "S-A2")
    r = await c.post(
        f"/catalogs/{a['acme_to_d1']['id']}/draft",
        headers=h,
        json={
            "sku_id": s_a2["id"],
            "constraints": {"required_certifications": ["ACME-GOLD"], "territories": ["DE"]},
        },
    )
    body = problem(r, 422, "not_eligible")
    codes = {p["code"] for p in body["problems"]}
    assert codes == {"missing_certifications", "outside_territory"}
    assert "lacks ACME-GOLD" in body["detail"] and "only in DE" in body["detail"]
    # DL1 in FR-IDF is within a territory of FR, and holds ACME-SVC
    await factory.post(
        f"/catalogs/{a['d1_to_dl1']['id']}/draft",
        {
            "sku_id": a["s_a1"]["id"],
            "offering_id": None,
            "constraints": {"required_certifications": ["ACME-SVC"], "territories": ["FR"]},
        },
        status=409,  # already in the draft from example A
    )
    # a publisher may not publish to an org that is not its dealer or distributor
    stranger = await factory.org("Stranger", "dealer")
    cat = await factory.catalog(a["dealer"], stranger, a["m2"])
    r = await c.post(f"/catalogs/{cat['id']}/draft", headers=h, json={"sku_id": a["s_b1"]["id"]})
    assert problem(r, 422, "not_eligible")["problems"][0]["code"] == "not_related"


async def test_versions_diff_rollback_audit_and_immutability(
    factory: Factory, db: asyncpg.Connection
) -> None:
    m = await factory.org("M", "manufacturer")
    s1 = await factory.sku(m, "P1", "S1")
    s2 = await factory.sku(m, "P2", "S2")
    s3 = await factory.sku(m, "P3", "S3")
    ch = await factory.channel("Online", "online")
    catalog = await factory.catalog(ch, None, None)  # global, published by the tenant
    v1 = await factory.publish(catalog, s1, s2)
    assert v1["number"] == 1 and v1["action"] == "publish"
    assert [i["sku_code"] for i in v1["items"]] == [s1["sku_code"], s2["sku_code"]]
    admin = ok(await factory.c.get("/orgs/me", headers=factory.h), 404)  # not an org user
    assert admin["code"] == "org_not_found"

    draft = (await factory.get(f"/catalogs/{catalog['id']}/draft"))["items"]
    first = next(d for d in draft if d["sku_id"] == s1["id"])
    ok(
        await factory.c.delete(f"/catalogs/{catalog['id']}/draft/{first['id']}", headers=factory.h),
        204,
    )
    await factory.post(
        f"/catalogs/{catalog['id']}/draft",
        {"sku_id": s3["id"], "constraints": {"territories": ["IT"]}},
    )
    v2 = await factory.post(f"/catalogs/{catalog['id']}/publish", {"note": "swap"})
    assert v2["number"] == 2
    diff = await factory.get(f"/catalogs/{catalog['id']}/diff", **{"from": 1, "to": 2})
    assert [i["sku_code"] for i in diff["added"]] == [s3["sku_code"]]
    assert [i["sku_code"] for i in diff["removed"]] == [s1["sku_code"]]
    assert diff["changed"] == []

    v3 = await factory.post(f"/catalogs/{catalog['id']}/rollback", {"to_version": 1})
    assert (v3["number"], v3["action"], v3["source_version"]) == (3, "rollback", 1)
    assert v3["items"] == v1["items"]
    assert v3["published_by"] and v3["published_at"]
    versions = (await factory.get(f"/catalogs/{catalog['id']}/versions"))["items"]
    assert [v["number"] for v in versions] == [3, 2, 1]
    # the draft starts again from the rolled-back content
    draft = (await factory.get(f"/catalogs/{catalog['id']}/draft"))["items"]
    assert {d["sku_id"] for d in draft} == {s1["id"], s2["id"]}
    listed = (await factory.get("/listings", channel_id=ch["id"]))["items"]
    assert [(x["sku_code"], x["via"]["path"]) for x in listed] == [
        (s1["sku_code"], "global"),
        (s2["sku_code"], "global"),
    ]
    problem(
        await factory.c.get(f"/catalogs/{catalog['id']}/versions/9", headers=factory.h),
        404,
        "catalog_version_not_found",
    )

    # published versions are immutable in the database itself
    with pytest.raises(asyncpg.PostgresError, match="immutable"):
        await db.execute(
            "UPDATE catalog.catalog_versions SET note = 'x' WHERE catalog_id = $1", catalog["id"]
        )
    # each publication left a catalog.published event in the outbox
    rows = await db.fetch(
        "SELECT data FROM catalog.outbox WHERE type = 'catalog.published' "
        "AND data->>'catalog_id' = $1 ORDER BY created_at",
        catalog["id"],
    )
    import json

    events = [json.loads(r["data"]) for r in rows]
    assert [(e["version"], e["action"], e["item_count"]) for e in events] == [
        (1, "publish", 2),
        (2, "publish", 2),
        (3, "rollback", 2),
    ]
    assert events[0]["schema_version"] == 1


async def test_linked_client_tenant_sees_its_own_catalog_only(factory: Factory) -> None:
    a = await example_a(factory)
    c, t = factory.c, factory.tokens
    my_tenant = factory.seed.data["tenants"]["maison-y"]
    # Maison Y's users act as DL1 once the provider links the tenant
    problem(await c.get("/listings", headers=t.headers("my")), 403, "tenant_not_linked")
    ok(
        await c.patch(
            f"/orgs/{a['dl1']['id']}", headers=factory.h, json={"client_tenant_id": my_tenant}
        )
    )
    try:
        me = ok(await c.get("/orgs/me", headers=t.headers("my")))
        assert me["id"] == a["dl1"]["id"]
        listed = ok(
            await c.get(
                "/listings", headers=t.headers("my"), params={"channel_id": a["dealer"]["id"]}
            )
        )["items"]
        assert [x["sku_code"] for x in listed] == [a["s_a1"]["sku_code"], a["s_b1"]["sku_code"]]
        # ...and nothing else: another org's catalog, the provider's lists
        r = await c.get("/listings", headers=t.headers("my"), params={"org_id": a["d1"]["id"]})
        problem(r, 403, "forbidden")
        problem(await c.get("/orgs", headers=t.headers("my")), 403, "wrong_space")
        problem(await c.get(f"/orgs/{a['d1']['id']}", headers=t.headers("my")), 403, "wrong_space")
        # another brand is linked to nothing
        problem(await c.get("/listings", headers=t.headers("lbx")), 403, "tenant_not_linked")
        # one client tenant acts as one organisation
        r = await c.patch(
            f"/orgs/{a['d1']['id']}", headers=factory.h, json={"client_tenant_id": my_tenant}
        )
        problem(r, 409, "client_tenant_taken")
    finally:
        ok(
            await c.patch(
                f"/orgs/{a['dl1']['id']}", headers=factory.h, json={"client_tenant_id": None}
            )
        )
    problem(await c.get("/listings", headers=t.headers("my")), 403, "tenant_not_linked")
