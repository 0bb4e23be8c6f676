"""Import and export: CSV and JSON, validated row by row with an error report, nothing
half-applied, idempotent (the same file twice changes nothing), run as a job with progress."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.catalog.conftest import Factory, ok, problem
from tools.stack import Stack


async def upload(factory: Factory, kind: str, fmt: str, content: str) -> dict[str, Any]:
    r = await factory.c.post(
        "/imports",
        params={"kind": kind, "format": fmt},
        content=content.encode(),
        headers={**factory.h, "Content-Type": "text/csv" if fmt == "csv" else "application/json"},
    )
    started = ok(r, 202)
    assert started["status"] == "queued" and started["job_id"]
    return await wait(factory, started["id"])


async def wait(factory: Factory, import_id: str, seconds: float = 180) -> dict[str, Any]:
    """The import once its job has finished."""
    got: dict[str, Any] = {}
    for _ in range(int(seconds * 4)):
        got = await factory.get(f"/imports/{import_id}")
        if got["status"] in ("succeeded", "failed"):
            return got
        await asyncio.sleep(0.25)
    raise AssertionError(f"import {import_id} did not finish: {got}")


async def test_import_is_idempotent_and_round_trips(factory: Factory) -> None:
    t = factory.tag
    orgs = (
        "name,type,status,regions,certifications,client_tenant_id\n"
        f"Imp Maker {t},manufacturer,active,FR;DE,,\n"
        f"Imp Dist {t},distributor,active,FR,ACME-SVC,\n"
        f"Imp Dealer {t},dealer,active,FR-IDF,ACME-SVC;ISO-13485,\n"
    )
    first = await upload(factory, "organisations", "csv", orgs)
    assert (first["status"], first["created"], first["unchanged"], first["total_rows"]) == (
        "succeeded",
        3,
        0,
        3,
    )
    assert first["progress_done"] == first["progress_total"] == 6
    again = await upload(factory, "organisations", "csv", orgs)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)

    rels = [
        {
            "org": f"Imp Dist {t}",
            "relation_type": "distributor_of",
            "target": f"Imp Maker {t}",
            "active_from": "2026-01-01T00:00:00Z",
        },
        {
            "org": f"Imp Dealer {t}",
            "relation_type": "dealer_of",
            "target": f"Imp Dist {t}",
            "active_from": "2026-01-01T00:00:00Z",
        },
    ]
    got = await upload(factory, "relationships", "json", json.dumps(rels))
    assert (got["status"], got["created"]) == ("succeeded", 2)
    got = await upload(factory, "relationships", "json", json.dumps({"items": rels}))
    assert (got["created"], got["unchanged"]) == (0, 2)

    skus = (
        "manufacturer,product_code,product_name,category,sku_code,sku_name,status,cost,cost_currency\n"
        f"Imp Maker {t},P-{t},Scanner,imaging,S1-{t},Scanner S1,active,600.00,EUR\n"
        f"Imp Maker {t},P-{t},Scanner,imaging,S2-{t},Scanner S2,active,650.00,EUR\n"
    )
    got = await upload(factory, "skus", "csv", skus)
    assert (got["status"], got["created"]) == ("succeeded", 2)
    got = await upload(factory, "skus", "csv", skus.replace("650.00", "700.00"))
    assert (got["created"], got["updated"], got["unchanged"]) == (0, 1, 1)

    # an export imports back unchanged
    r = await factory.c.get("/exports/skus", headers=factory.h, params={"format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    mine = [row for row in csv.DictReader(io.StringIO(r.text)) if row["sku_code"].endswith(t)]
    assert [(x["sku_code"], x["cost"], x["manufacturer"]) for x in mine] == [
        (f"S1-{t}", "600.0000", f"Imp Maker {t}"),
        (f"S2-{t}", "700.0000", f"Imp Maker {t}"),
    ]
    r = await factory.c.get("/exports/organisations", headers=factory.h, params={"format": "csv"})
    got = await upload(factory, "organisations", "csv", r.text)
    assert got["status"] == "succeeded" and got["created"] == got["updated"] == 0
    exported = ok(
        await factory.c.get("/exports/relationships", headers=factory.h, params={"format": "json"})
    )
    assert {
        "org": f"Imp Dealer {t}",
        "relation_type": "dealer_of",
        "target": f"Imp Dist {t}",
        "active_from": "2026-01-01T00:00:00+00:00",
        "active_to": None,
    } in exported


async def test_a_bad_file_applies_nothing_and_reports_every_bad_row(factory: Factory) -> None:
    t = factory.tag
    bad = f"name,type,regions\nGood {t},dealer,FR\nBad {t},wizard,FR\n,dealer,\n"
    got = await upload(factory, "organisations", "csv", bad)
    assert got["status"] == "failed" and got["created"] == 0
    assert [(e["row"], e["field"]) for e in got["errors"]] == [(2, "type"), (3, "name")]
    listed = await factory.get("/orgs", type="dealer", limit=200)
    assert f"Good {t}" not in {o["name"] for o in listed["items"]}  # nothing half-applied
    report = await factory.c.get(f"/imports/{got['id']}/errors.csv", headers=factory.h)
    lines = list(csv.reader(io.StringIO(report.text)))
    assert lines[0] == ["row", "field", "message"] and [x[0] for x in lines[1:]] == ["2", "3"]

    # a row that is valid alone but refused when applied rolls the whole file back
    rels = (
        "org,relation_type,target,active_from\n"
        f"Good {t},dealer_of,Nobody {t},2026-01-01T00:00:00Z\n"
    )
    await upload(
        factory, "organisations", "csv", f"name,type\nGood {t},dealer\nM {t},manufacturer\n"
    )
    got = await upload(
        factory,
        "relationships",
        "csv",
        f"org,relation_type,target,active_from\nGood {t},dealer_of,M {t},2026-01-01T00:00:00Z\n"
        + rels.splitlines()[1]
        + "\n",
    )
    assert got["status"] == "failed"
    assert got["errors"] == [
        {"row": 2, "field": "target", "message": f"No organisation named Nobody {t}"}
    ]
    good = next(
        o
        for o in (await factory.get("/orgs", type="dealer", limit=200))["items"]
        if o["name"] == f"Good {t}"
    )
    assert (await factory.get(f"/orgs/{good['id']}/relationships"))["items"] == []
    got = await upload(factory, "organisations", "json", "{not json")
    assert got["status"] == "failed" and got["errors"][0]["row"] == 0
    problem(
        await factory.c.post(
            "/imports", params={"kind": "planets", "format": "csv"}, headers=factory.h, content=b"x"
        ),
        422,
        "validation_failed",
    )


async def test_a_sku_file_is_read_once_reports_every_bad_row_and_stages_nothing(
    factory: Factory, db: asyncpg.Connection
) -> None:
    t = factory.tag
    await upload(factory, "organisations", "csv", f"name,type\nSku Maker {t},manufacturer\n")
    head = "manufacturer,product_code,product_name,category,sku_code,sku_name,status,cost,cost_currency\n"
    good = f"Sku Maker {t},Q-{t},Probe,probes,Q1-{t},,active,10.00,EUR\n"
    bad = (
        head
        + good
        + f"Nobody {t},Q-{t},Probe,probes,Q2-{t},,active,10.00,EUR\n"
        + f",Q-{t},Probe,probes,Q3-{t},,wizard,10.00,EUR\n"
        + f",Q-{t},Probe,probes,Q4-{t},,active,10.00,EUX\n"
    )
    got = await upload(factory, "skus", "csv", bad)
    assert (got["status"], got["total_rows"], got["created"]) == ("failed", 4, 0)
    assert [(e["row"], e["field"], e["message"]) for e in got["errors"]] == [
        (2, "manufacturer", f"No organisation named Nobody {t}"),
        (3, "status", "Input should be 'active', 'inactive' or 'discontinued'"),
        (4, "cost_currency", "EUX is not an ISO 4217 currency"),
    ]
    # nothing half-applied, nothing left staged
    assert (
        await db.fetchval("SELECT count(*) FROM catalog.skus WHERE sku_code LIKE $1", f"%{t}") == 0
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM catalog.import_staged_skus WHERE import_id = $1", got["id"]
        )
        == 0
    )

    # a key twice in one file: the later row wins (as row by row), counted once as created
    twice = head + good + good.replace(",Probe,", ",Probe II,").replace("10.00", "12.50")
    got = await upload(factory, "skus", "csv", twice)
    assert (got["status"], got["created"], got["updated"], got["unchanged"]) == (
        "succeeded",
        1,
        0,
        1,
    )
    row = await db.fetchrow(
        "SELECT k.name, k.cost, p.name AS product FROM catalog.skus k JOIN catalog.products p "
        "ON p.id = k.product_id WHERE k.sku_code = $1",
        f"Q1-{t}",
    )
    assert (row["name"], str(row["cost"]), row["product"]) == (f"Q1-{t}", "12.5000", "Probe II")
    assert (
        await db.fetchval(
            "SELECT count(*) FROM catalog.import_staged_skus WHERE import_id = $1", got["id"]
        )
        == 0
    )
    again = await upload(
        factory,
        "skus",
        "json",
        json.dumps(
            [
                {
                    "manufacturer": f"Sku Maker {t}",
                    "product_code": f"Q-{t}",
                    "product_name": "Probe II",
                    "category": "probes",
                    "sku_code": f"Q1-{t}",
                    "cost": "12.50",
                    "cost_currency": "EUR",
                }
            ]
        ),
    )
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)


@pytest.mark.e2e
async def test_an_import_over_the_gateways_body_limit_goes_through_it(
    factory: Factory, stack: Stack
) -> None:
    """The gateway's 10 MiB holds on every route but catalog's imports, which have their
    own limit (gateway/routes.yaml `bodies:`) and are streamed through."""
    t = factory.tag
    rows = [
        {
            "product_code": f"G-{t}",
            "product_name": "Gateway probe",
            "sku_code": f"G{i}-{t}",
            "cost": "5.00",
            "cost_currency": "EUR",
        }
        for i in range(3)
    ]
    pad = b" " * (11 * 1024 * 1024)  # JSON allows any whitespace between items
    content = b"[" + pad + b",".join(json.dumps(r).encode() for r in rows) + b"]"
    assert len(content) > 11 * 1024 * 1024

    async def chunked() -> AsyncIterator[bytes]:
        for i in range(0, len(content), 1024 * 1024):
            yield content[i : i + 1024 * 1024]

    async with httpx.AsyncClient(base_url=stack.gateway_url, headers=factory.h, timeout=120) as gw:
        for upload_body in (content, chunked()):  # with a Content-Length, then chunked
            r = await gw.post(
                "/v1/catalog/imports",
                params={"kind": "skus", "format": "json"},
                headers={"Content-Type": "application/json"},
                content=upload_body,
            )
            started = ok(r, 202)
            assert started["size_bytes"] == len(content)
            done = await wait(factory, started["id"])
            assert (done["status"], done["total_rows"]) == ("succeeded", 3)
        assert (done["created"], done["unchanged"]) == (0, 3)  # the second time: nothing new
        # another route, even of catalog, keeps the gateway's limit
        r = await gw.post(
            "/v1/catalog/orgs",
            headers={"Content-Type": "application/json"},
            content=b'{"name": "' + b"x" * (11 * 1024 * 1024) + b'"}',
        )
        body = problem(r, 413, "payload_too_large")
        assert body["detail"] == f"The request body exceeds {10 * 1024 * 1024} bytes"
