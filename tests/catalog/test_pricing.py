"""Price books and resolution through the API: Example B exactly, explanations, windows that
never overlap (database-enforced), versions and events, rounding, tiers, client access."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.catalog.conftest import Factory, ok, problem
from tests.catalog.test_publishing import example_a

FROM = "2026-01-01T00:00:00Z"


async def book(
    factory: Factory, name: str, scope: str, rules: list[dict[str, Any]], **kw: Any
) -> Any:
    body = {
        "name": factory.name(name),
        "scope_type": scope,
        "currency": "EUR",
        "effective_from": FROM,
    }
    return await factory.post("/price-books", {**body, **kw, "rules": rules})


async def resolve(factory: Factory, who: str = "admin", status: int = 200, **body: Any) -> Any:
    body.setdefault("currency", "EUR")
    return ok(
        await factory.c.post("/prices/resolve", headers=factory.tokens.headers(who), json=body),
        status,
    )


async def example_b(factory: Factory) -> dict[str, Any]:
    a = await example_a(factory)
    dl1, dealer = a["dl1"], a["dealer"]
    s_a1, s_b1 = a["s_a1"], a["s_b1"]
    oc = await book(
        factory,
        "DL1 at the dealer channel",
        "org_channel",
        [{"selector": "sku", "sku_id": s_a1["id"], "rule_type": "fixed", "value": "950"}],
        org_id=dl1["id"],
        channel_id=dealer["id"],
    )
    ch = await book(
        factory,
        "Dealer channel",
        "channel",
        [
            {"selector": "sku", "sku_id": s_b1["id"], "rule_type": "fixed", "value": "1000"},
            {"selector": "sku", "sku_id": s_a1["id"], "rule_type": "fixed", "value": "1000"},
            {"selector": "all", "rule_type": "discount", "value": "5"},  # the dealer discount
        ],
        channel_id=dealer["id"],
    )
    org = await book(
        factory,
        "DL1 everywhere",
        "org",
        [{"selector": "category", "category": "monitoring", "rule_type": "fixed", "value": "990"}],
        org_id=dl1["id"],
    )
    return {**a, "oc": oc, "ch": ch, "org_book": org}


async def test_example_b(factory: Factory) -> None:
    b = await example_b(factory)
    got = await resolve(
        factory,
        sku_ids=[b["s_a1"]["id"], b["s_b1"]["id"]],
        org_id=b["dl1"]["id"],
        channel_id=b["dealer"]["id"],
        quantity="1",
        at="2026-06-01T12:00:00Z",
    )
    a1, b1 = got["items"]
    assert (a1["sku_id"], a1["unit_price"], a1["currency"]) == (b["s_a1"]["id"], "950.00", "EUR")
    assert (b1["sku_id"], b1["unit_price"]) == (b["s_b1"]["id"], "950.00")

    # S-A1: the org_channel fixed price wins; it explains what it beat and why
    assert a1["book"]["id"] == b["oc"]["id"] and a1["book"]["scope_type"] == "org_channel"
    assert a1["rule"]["rule_type"] == "fixed" and a1["discount"] is None
    outcomes = {
        (c["book"]["scope_type"], c["rule"]["rule_type"], c["outcome"]) for c in a1["candidates"]
    }
    assert outcomes == {
        ("org_channel", "fixed", "won"),
        ("channel", "fixed", "beaten"),
        ("channel", "discount", "beaten"),
    }
    reasons = {c["reason"] for c in a1["candidates"] if c["outcome"] == "beaten"}
    assert "channel book has lower precedence than org_channel" in reasons
    assert "a channel discount cannot change a org_channel price" in reasons
    assert [x["scope_type"] for x in a1["books_considered"]] == ["org_channel", "channel", "org"]

    # S-B1: no org_channel rule; the channel base 1000 with the 5% dealer discount
    assert b1["book"]["id"] == b["ch"]["id"] and b1["rule"]["value"] == "1000.0000"
    assert b1["discount"]["rule"]["value"] == "5.0000"
    assert b1["discount"]["outcome"] == "applied"
    beaten = [c for c in b1["candidates"] if c["outcome"] == "beaten"]
    assert [(c["book"]["scope_type"], c["reason"]) for c in beaten] == [
        ("org", "org book has lower precedence than channel")
    ]
    assert any("Discount 5.0000%" in line for line in b1["explanation"])

    # another quantity: the total follows
    got = await resolve(
        factory,
        sku_ids=[b["s_b1"]["id"]],
        org_id=b["dl1"]["id"],
        channel_id=b["dealer"]["id"],
        quantity="3",
        at="2026-06-01T12:00:00Z",
    )
    assert got["items"][0]["total"] == "2850.00"
    # without the org the channel still prices both at 950 (S-A1: 1000 - 5%)
    got = await resolve(
        factory, sku_ids=[b["s_a1"]["id"]], channel_id=b["dealer"]["id"], at="2026-06-01T12:00:00Z"
    )
    assert got["items"][0]["unit_price"] == "950.00"
    assert got["items"][0]["book"]["scope_type"] == "channel"
    # before the books start there is no price, and the answer says so
    got = await resolve(
        factory,
        sku_ids=[b["s_a1"]["id"]],
        org_id=b["dl1"]["id"],
        channel_id=b["dealer"]["id"],
        at="2025-06-01T12:00:00Z",
    )
    item = got["items"][0]
    assert item["found"] is False and item["unit_price"] is None
    assert "No fixed or margin rule" in item["explanation"][0]


async def test_windows_of_one_scope_never_overlap(factory: Factory, db: asyncpg.Connection) -> None:
    ch = await factory.channel("Online", "online")
    first = await book(
        factory, "2026 H1", "channel", [], channel_id=ch["id"], effective_to="2026-07-01T00:00:00Z"
    )
    # back to back is fine; another currency is another scope
    await book(
        factory,
        "2026 H2",
        "channel",
        [],
        channel_id=ch["id"],
        effective_from="2026-07-01T00:00:00Z",
    )
    await book(factory, "USD", "channel", [], channel_id=ch["id"], currency="USD")
    r = await factory.c.post(
        "/price-books",
        headers=factory.h,
        json={
            "name": "clash",
            "scope_type": "channel",
            "channel_id": ch["id"],
            "currency": "EUR",
            "effective_from": "2026-03-01T00:00:00Z",
            "effective_to": "2026-04-01T00:00:00Z",
        },
    )
    body = problem(r, 409, "price_book_overlaps")
    assert body["overlapping_price_book_id"] == first["id"]
    # the database itself refuses, whatever the code does
    tenant = factory.seed.data["tenants"]["paco"]
    with pytest.raises(asyncpg.ExclusionViolationError):
        await db.execute(
            "INSERT INTO catalog.price_books (id, tenant_id, name, scope_type, channel_id, "
            "currency, effective_from) VALUES (gen_random_uuid(), $1, 'x', 'channel', $2, 'EUR', "
            "'2026-02-01')",
            tenant,
            ch["id"],
        )
    # scope must name what its type needs; currency must be ISO 4217
    r = await factory.c.post(
        "/price-books",
        headers=factory.h,
        json={"name": "x", "scope_type": "org", "currency": "EUR", "effective_from": FROM},
    )
    problem(r, 422, "invalid_scope")
    r = await factory.c.post(
        "/price-books",
        headers=factory.h,
        json={
            "name": "x",
            "scope_type": "channel",
            "channel_id": ch["id"],
            "currency": "EUX",
            "effective_from": "2030-01-01T00:00:00Z",
        },
    )
    problem(r, 422, "unknown_currency")


async def test_rules_version_the_book_and_emit_events(
    factory: Factory, db: asyncpg.Connection
) -> None:
    m = await factory.org("M", "manufacturer")
    sku = await factory.sku(m, "P", "S", cost="80.00", cost_currency="JPY")
    ch = await factory.channel("Shop", "online")
    bk = await book(
        factory, "Yen", "channel", [], channel_id=ch["id"], currency="JPY", rounding_mode="down"
    )
    assert bk["version"] == 1
    rule = await factory.post(
        f"/price-books/{bk['id']}/rules",
        {
            "selector": "all",
            "rule_type": "margin",
            "value": "12.5",
            "tiers": [{"min_quantity": 10, "value": "10"}, {"min_quantity": 100, "value": "5"}],
        },
    )
    got = await factory.c.get(f"/price-books/{bk['id']}", headers=factory.h)
    assert got.headers["etag"] == '"2"'
    # 80 * 1.125 = 90; JPY has no minor unit
    res = await resolve(factory, sku_ids=[sku["id"]], channel_id=ch["id"], currency="JPY")
    assert res["items"][0]["unit_price"] == "90"
    # tiers: from 10, 10% -> 88; from 100, 5% -> 84; rounded down
    res = await resolve(
        factory, sku_ids=[sku["id"]], channel_id=ch["id"], currency="JPY", quantity="150"
    )
    item = res["items"][0]
    assert (item["unit_price"], item["total"], item["rule"]["tier_min_quantity"]) == (
        "84",
        "12600",
        "100",
    )
    # a margin needs a cost in the book's currency: in EUR it is skipped, and says why
    eur = await book(
        factory,
        "Euro",
        "channel",
        [{"selector": "all", "rule_type": "margin", "value": "10"}],
        channel_id=ch["id"],
    )
    res = await resolve(factory, sku_ids=[sku["id"]], channel_id=ch["id"])
    item = res["items"][0]
    assert item["found"] is False
    assert (
        item["candidates"][0]["outcome"] == "skipped"
        and "no cost in EUR" in item["candidates"][0]["reason"]
    )
    ok(
        await factory.c.delete(f"/price-books/{bk['id']}/rules/{rule['id']}", headers=factory.h),
        204,
    )
    r = await factory.c.patch(
        f"/price-books/{eur['id']}",
        headers={**factory.h, "If-Match": '"1"'},
        json={"effective_to": "2027-01-01T00:00:00Z"},
    )
    assert ok(r)["version"] == 2
    rows = await db.fetch(
        "SELECT data FROM catalog.outbox WHERE type = 'catalog.price_book.updated' "
        "AND data->>'price_book_id' = ANY($1::text[]) ORDER BY created_at",
        [bk["id"], eur["id"]],
    )
    changes = [
        (json.loads(r["data"])["price_book_id"], json.loads(r["data"])["change"]) for r in rows
    ]
    assert changes == [
        (bk["id"], "created"),
        (bk["id"], "rule_added"),
        (eur["id"], "created"),
        (bk["id"], "rule_deleted"),
        (eur["id"], "updated"),
    ]
    # bad input: a discount over 100%, a rule for an unknown SKU, too many or unknown SKUs
    r = await factory.c.post(
        f"/price-books/{bk['id']}/rules",
        headers=factory.h,
        json={"selector": "all", "rule_type": "discount", "value": "120"},
    )
    problem(r, 422, "validation_failed")
    r = await factory.c.post(
        "/prices/resolve", headers=factory.h, json={"sku_ids": [bk["id"]], "currency": "EUR"}
    )
    problem(r, 404, "sku_not_found")


async def test_client_prices_follow_the_link(factory: Factory) -> None:
    b = await example_b(factory)
    c, t = factory.c, factory.tokens
    my_tenant = factory.seed.data["tenants"]["maison-y"]
    ok(
        await c.patch(
            f"/orgs/{b['dl1']['id']}", headers=factory.h, json={"client_tenant_id": my_tenant}
        )
    )
    try:
        # a CLIENT_VIEWER holds no prices:read: prices are for the ACCOUNTING space
        r = await c.post(
            "/prices/resolve",
            headers=t.headers("my"),
            json={"sku_ids": [b["s_a1"]["id"]], "currency": "EUR"},
        )
        problem(r, 403, "missing_permission")
        # the provider's lists stay closed to clients
        problem(await c.get("/price-books", headers=t.headers("my")), 403, "wrong_space")
    finally:
        ok(
            await c.patch(
                f"/orgs/{b['dl1']['id']}", headers=factory.h, json={"client_tenant_id": None}
            )
        )
    # a provider viewer reads prices; OPS_MANAGER holds no prices permission
    got = await resolve(
        factory,
        "viewer",
        sku_ids=[b["s_a1"]["id"]],
        org_id=b["dl1"]["id"],
        channel_id=b["dealer"]["id"],
        at="2026-06-01T00:00:00Z",
    )
    assert got["items"][0]["unit_price"] == "950.00"
    await resolve(factory, "ops", status=403, sku_ids=[b["s_a1"]["id"]])
    assert Decimal("950.00") == Decimal(got["items"][0]["unit_price"])
