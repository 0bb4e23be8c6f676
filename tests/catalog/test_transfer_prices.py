"""Price book import and export (CSV and JSON), and large files streamed: the upload is
stored in chunks, the job reads it row by row and applies SKUs in batches, all in one
transaction."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from tests.catalog.conftest import Factory, ok, problem
from tests.catalog.test_transfer import upload, wait
from tools.seed import SeedContext

HEAD = (
    "book,scope_type,org,channel,currency,rounding_mode,effective_from,effective_to,"
    "selector,sku_manufacturer,sku_code,category,rule_type,value,tiers,priority\n"
)
AT = "2026-06-01T00:00:00Z"


async def _network(factory: Factory) -> dict[str, Any]:
    maker = await factory.org("PB Maker", "manufacturer")
    dealer = await factory.org("PB Dealer", "dealer")
    channel = await factory.channel("PB channel", "dealer")
    a = await factory.sku(maker, "PB-P", "PB-A", category="imaging")
    b = await factory.sku(maker, "PB-Q", "PB-B", category="monitoring")
    return {"maker": maker, "dealer": dealer, "channel": channel, "a": a, "b": b}


def _file(n: dict[str, Any], a_price: str = "950") -> str:
    m, d, ch = n["maker"]["name"], n["dealer"]["name"], n["channel"]["name"]
    a, b = n["a"]["sku_code"], n["b"]["sku_code"]
    f = "2026-01-01T00:00:00+00:00"
    return HEAD + (
        f"Dealer deal,org_channel,{d},{ch},EUR,half_up,{f},,sku,{m},{a},,fixed,{a_price},,100\n"
        f"Channel base,channel,,{ch},EUR,half_up,{f},,sku,{m},{b},,fixed,1000,10:900;50:850,100\n"
        f"Channel base,channel,,{ch},EUR,half_up,{f},,all,,,,discount,5,,100\n"
        f"Empty book,org,{d},,EUR,half_even,{f},,,,,,,,,\n"
    )


async def _resolve(factory: Factory, n: dict[str, Any], quantity: int = 1) -> dict[str, str]:
    got = await factory.post(
        "/prices/resolve",
        {
            "sku_ids": [n["a"]["id"], n["b"]["id"]],
            "org_id": n["dealer"]["id"],
            "channel_id": n["channel"]["id"],
            "currency": "EUR",
            "quantity": quantity,
            "at": AT,
        },
        200,
    )
    return {i["sku_code"]: i["unit_price"] for i in got["items"]}


async def _books(factory: Factory, n: dict[str, Any]) -> list[dict[str, Any]]:
    mine = []
    for params in ({"channel_id": n["channel"]["id"]}, {"org_id": n["dealer"]["id"]}):
        mine += (await factory.get("/price-books", limit=200, **params))["items"]
    return sorted({b["id"]: b for b in mine}.values(), key=lambda b: b["name"])


async def test_price_books_import_idempotently_and_round_trip(factory: Factory) -> None:
    n = await _network(factory)
    first = await upload(factory, "price_books", "csv", _file(n))
    assert (first["status"], first["created"], first["total_rows"]) == ("succeeded", 3, 4)
    books = await _books(factory, n)
    assert [(b["name"], b["scope_type"], b["rounding_mode"]) for b in books] == [
        ("Channel base", "channel", "half_up"),
        ("Dealer deal", "org_channel", "half_up"),
        ("Empty book", "org", "half_even"),
    ]
    # Example B's numbers, and the tier from 10
    assert await _resolve(factory, n) == {
        n["a"]["sku_code"]: "950.00",
        n["b"]["sku_code"]: "950.00",
    }
    assert (await _resolve(factory, n, 10))[n["b"]["sku_code"]] == "855.00"

    again = await upload(factory, "price_books", "csv", _file(n))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert [b["version"] for b in await _books(factory, n)] == [b["version"] for b in books]

    changed = await upload(factory, "price_books", "csv", _file(n, a_price="940"))
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 2)
    deal = next(b for b in await _books(factory, n) if b["name"] == "Dealer deal")
    assert deal["version"] > next(b for b in books if b["name"] == "Dealer deal")["version"]
    assert (await _resolve(factory, n))[n["a"]["sku_code"]] == "940.00"

    # the export imports back unchanged, CSV and JSON
    for fmt in ("csv", "json"):
        r = await factory.c.get("/exports/price_books", headers=factory.h, params={"format": fmt})
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "text/csv" if fmt == "csv" else "application/json"
        )
        if fmt == "csv":
            rows = [
                x
                for x in csv.DictReader(io.StringIO(r.text))
                if x["channel"] == n["channel"]["name"] or x["org"] == n["dealer"]["name"]
            ]
            assert {x["tiers"] for x in rows} >= {"10:900;50:850"}
            out = io.StringIO()
            w = csv.DictWriter(out, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
            content = out.getvalue()
        else:
            items = [
                x
                for x in r.json()
                if x["channel"] == n["channel"]["name"] or x["org"] == n["dealer"]["name"]
            ]
            assert len(items) == 4
            content = json.dumps({"items": items})
        back = await upload(factory, "price_books", fmt, content)
        assert (back["status"], back["created"], back["updated"], back["unchanged"]) == (
            "succeeded",
            0,
            0,
            3,
        ), back


async def test_a_bad_price_book_file_applies_nothing(factory: Factory) -> None:
    n = await _network(factory)
    bad = _file(n).replace(",fixed,1000,", ",fixed,-3,").replace("half_even", "sideways")
    got = await upload(factory, "price_books", "csv", bad)
    assert got["status"] == "failed"
    assert [(e["row"], e["field"]) for e in got["errors"]] == [(2, "value"), (4, "rounding_mode")]
    report = await factory.c.get(f"/imports/{got['id']}/errors.csv", headers=factory.h)
    assert [x[0] for x in list(csv.reader(io.StringIO(report.text)))[1:]] == ["2", "4"]

    # valid rows, refused when applied (an unknown SKU on the last book): nothing applied
    unknown = _file(n) + (
        f"Late,global,,,EUR,half_up,2026-01-01T00:00:00Z,,sku,{n['maker']['name']},NOPE-{factory.tag},,fixed,1,,100\n"
    )
    got = await upload(factory, "price_books", "csv", unknown)
    assert got["status"] == "failed" and got["created"] == 0
    assert got["errors"][0]["row"] == 5 and got["errors"][0]["field"] == "sku_code"
    assert await _books(factory, n) == []


async def _stream(text: str, piece: int = 64 * 1024) -> AsyncIterator[bytes]:
    data = text.encode()
    for i in range(0, len(data), piece):
        yield data[i : i + piece]


async def test_a_large_sku_file_is_streamed_and_applied_in_batches(
    factory: Factory, db: asyncpg.Connection
) -> None:
    maker = await factory.org("Bulk Maker", "manufacturer")
    t, rows = factory.tag, 12_000
    lines = [
        "manufacturer,product_code,product_name,category,sku_code,sku_name,status,cost,cost_currency"
    ]
    lines += [
        f"{maker['name']},BP-{t}-{i // 10},Bulk product {i // 10} {'x' * 80},bulk,"
        f"BS-{t}-{i},Bulk SKU {i} {'y' * 20},active,{i}.50,EUR"
        for i in range(rows)
    ]
    text = "\n".join(lines) + "\n"
    size = len(text.encode())
    assert size > 2 * 1024 * 1024  # three chunks of 1 MB at most
    r = await factory.c.post(
        "/imports",
        params={"kind": "skus", "format": "csv"},
        content=_stream(text),  # chunked transfer: the service never sees a length
        headers={**factory.h, "Content-Type": "text/csv"},
    )
    started = ok(r, 202)
    assert started["size_bytes"] == size
    chunks = await db.fetchval(
        "SELECT count(*) FROM catalog.import_chunks WHERE import_id = $1", started["id"]
    )
    assert chunks == 3
    got = await wait(factory, started["id"])
    assert (got["status"], got["created"], got["total_rows"]) == ("succeeded", rows, rows), got
    assert got["progress_done"] == got["progress_total"] == 2 * rows
    stored = await db.fetchval(
        "SELECT count(*) FROM catalog.skus WHERE sku_code LIKE $1", f"BS-{t}-%"
    )
    assert stored == rows

    # the same file again changes nothing; one changed cost updates one SKU
    got = await upload(factory, "skus", "csv", text)
    assert (got["created"], got["updated"], got["unchanged"]) == (0, 0, rows)
    one = [*lines[:8], lines[8].replace(",7.50,EUR", ",7.75,EUR"), *lines[9:]]
    assert one[8] != lines[8]
    got = await upload(factory, "skus", "csv", "\n".join(one) + "\n")
    assert (got["created"], got["updated"], got["unchanged"]) == (0, 1, rows - 1)

    # a bad row after two applied batches: the whole file rolls back
    late = [
        f"{maker['name']},LP-{t},Late,bulk,LS-{t}-{i},Late {i},active,1,EUR" for i in range(2500)
    ]
    late[2400] = late[2400].replace(maker["name"], f"Nobody {t}", 1)
    got = await upload(factory, "skus", "csv", "\n".join([lines[0], *late]) + "\n")
    assert got["status"] == "failed"
    assert got["errors"] == [
        {"row": 2401, "field": "manufacturer", "message": f"No organisation named Nobody {t}"}
    ]
    assert (
        await db.fetchval("SELECT count(*) FROM catalog.skus WHERE sku_code LIKE $1", f"LS-{t}-%")
        == 0
    )


async def test_an_upload_with_nul_or_not_utf8_is_refused(factory: Factory) -> None:
    for body in (b"name,type\nA\x00,dealer\n", b"name,type\n\xff\xfe,dealer\n"):
        r = await factory.c.post(
            "/imports",
            params={"kind": "organisations", "format": "csv"},
            content=body,
            headers={**factory.h, "Content-Type": "text/csv"},
        )
        assert r.status_code == 400 and r.json()["code"] == "invalid_encoding", r.text


async def test_agreements_import_and_list_with_filters(factory: Factory, seed: SeedContext) -> None:
    a = await factory.org("Ag maker", "manufacturer")
    b = await factory.org("Ag dealer", "dealer")
    t = factory.tag
    text = (
        "name,kind,party_a,party_b,status,effective_from,effective_to,scope,terms\n"
        f"Dist {t},distribution,{a['name']},{b['name']},active,2026-01-01T00:00:00Z,,"
        '"{""territories"": [""FR""]}","{""payment_days"": 60}"\n'
        f"Warranty {t},warranty,{b['name']},,active,2026-01-01T00:00:00Z,2027-01-01T00:00:00Z,,"
        '"{""warranty_months"": 12}"\n'
    )
    got = await upload(factory, "agreements", "csv", text)
    assert (got["status"], got["created"]) == ("succeeded", 2), got
    again = await upload(factory, "agreements", "csv", text)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)

    mine = (await factory.get("/agreements", org_id=b["id"]))["items"]
    assert sorted(x["name"] for x in mine) == [f"Dist {t}", f"Warranty {t}"]
    only = (await factory.get("/agreements", org_id=b["id"], kind="warranty"))["items"]
    assert [x["terms"] for x in only] == [{"warranty_months": 12}]
    later = await factory.get("/agreements", org_id=b["id"], active_at="2027-06-01T00:00:00Z")
    assert [x["name"] for x in later["items"]] == [f"Dist {t}"]
    one = await factory.get(f"/agreements/{later['items'][0]['id']}")
    assert one["scope"] == {"territories": ["FR"]} and one["party_a_org_id"] == a["id"]
    problem(
        await factory.c.get("/agreements", headers=factory.h, params={"kind": "lease"}),
        422,
        "validation_failed",
    )
    # the export imports back unchanged
    r = await factory.c.get("/exports/agreements", headers=factory.h, params={"format": "json"})
    back = [x for x in r.json() if x["name"].endswith(t)]
    got = await upload(factory, "agreements", "json", json.dumps(back))
    assert (got["status"], got["unchanged"]) == ("succeeded", 2), got

    # the demo's agreements, seeded by import
    demo = seed.data["catalog"]
    listed = await factory.get("/agreements", org_id=demo["orgs"]["DL1"], status="active")
    assert "Scanner warranty, Hopital Saint-Louis" in {x["name"] for x in listed["items"]}
