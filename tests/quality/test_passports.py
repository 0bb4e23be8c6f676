"""Digital Product Passports: published per lot (immutable, versioned), public without a
token by id and at the GS1 Digital Link path, JSON-LD valid against the UNTP DPP 0.6 schema,
an HTML page for phones and a QR code; public reads see published rows only."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from jsonschema import Draft202012Validator

from services.quality.passports.service import qr
from tests.quality.conftest import Factory, Q, Tokens, ok
from tests.quality.helpers import all_results, inspection_in_progress
from tools.stack import Stack

ROOT = Path(__file__).resolve().parents[2]


def _reference() -> Path:
    """`../shared/reference` beside the checkout (read only, never copied into the repo)."""
    if os.environ.get("WEFT_UNTP_REFERENCE"):
        return Path(os.environ["WEFT_UNTP_REFERENCE"])
    for parent in ROOT.parents:
        if (parent / "shared" / "reference").is_dir():
            return parent / "shared" / "reference"
    return ROOT.parent / "shared" / "reference"


SCHEMA = _reference() / "untp-dpp-schema-0.6.json"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".weft" / "artifacts"


async def _published(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> tuple[dict[str, Any], dict[str, Any], str]:
    lot, checklist, inspection, sku = await inspection_in_progress(gateway, tokens, factory)
    h = tokens.h("inspector")
    url = f"{Q}/inspections/{inspection['id']}"
    ok(await gateway.put(f"{url}/results", headers=h, json={"results": all_results(checklist, 13)}))
    ok(await gateway.post(f"{url}/complete", headers=h))
    gtin = f"0950{uuid.uuid4().int % 10**10:010d}"
    admin = tokens.h("admin")
    ok(
        await gateway.put(
            f"{Q}/products/{sku}", headers=admin, json={"name": "Gift Box Deluxe", "gtin": gtin}
        )
    )
    ok(
        await gateway.put(
            f"{Q}/settings",
            headers=admin,
            json={
                "name": "Paco",
                "logo_url": "https://cdn.paco.example/logo.png",
                "issuer_did": "did:web:paco.example",
            },
        )
    )
    passport = ok(
        await gateway.post(
            f"{Q}/lots/{lot['id']}/passports",
            headers=admin,
            json={"description": "Rigid gift box with a magnetic lid"},
        ),
        201,
    )
    return lot, passport, gtin


async def test_passport_is_public_valid_and_versioned(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    lot, passport, gtin = await _published(gateway, tokens, factory)
    assert (passport["version"], passport["status"]) == (1, "published")
    # public, no token, JSON-LD by default
    public = await gateway.get(f"{Q}/passports/{passport['id']}")
    assert public.status_code == 200, public.text
    assert public.headers["content-type"].startswith("application/ld+json")
    credential = public.json()
    schema = json.loads(SCHEMA.read_text())
    errors = list(
        Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        ).iter_errors(credential)
    )
    assert errors == [], [e.message for e in errors]
    subject = credential["credentialSubject"]
    assert subject["product"]["batchNumber"] == lot["number"]
    assert subject["product"]["registeredId"] == gtin
    assert credential["issuer"]["id"] == "did:web:paco.example"
    assert "passed" in subject["conformityClaim"][0]["description"]
    root_link = f"{gateway.base_url}/01/{gtin}/10/{lot['number']}"
    assert subject["id"] == root_link  # the Digital Link at the gateway's root

    # GS1 Digital Link resolves to the same passport; a phone gets the page
    link = await gateway.get(f"{Q}/01/{gtin}/10/{lot['number']}")
    assert link.json()["id"] == credential["id"]
    page = await gateway.get(
        f"{Q}/01/{gtin}/10/{lot['number']}", headers={"Accept": "text/html,application/json;q=0.9"}
    )
    assert page.headers["content-type"].startswith("text/html")
    assert (
        lot["number"] in page.text and "Gift Box Deluxe" in page.text and "QA passed" in page.text
    )
    svg = await gateway.get(f"{Q}/passports/{passport['id']}/qr.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content
    png = await gateway.get(f"{Q}/passports/{passport['id']}/qr.png")
    assert png.content.startswith(b"\x89PNG")
    # both QR codes encode the root Digital Link URI
    assert svg.content == qr(root_link, "svg") and png.content == qr(root_link, "png")
    await _root_link_resolves(gateway, root_link, credential["id"], gtin)
    assert (await gateway.get(f"{Q}/01/{gtin}/10/NOPE")).status_code == 404

    # publishing again makes version 2; version 1 is unchanged and says it is superseded
    second = ok(
        await gateway.post(f"{Q}/lots/{lot['id']}/passports", headers=tokens.h("admin")), 201
    )
    assert second["version"] == 2
    old = await gateway.get(f"{Q}/passports/{passport['id']}")
    assert old.json() == credential
    listed = ok(
        await gateway.get(f"{Q}/passports", headers=tokens.h("lbx"), params={"lot_id": lot["id"]})
    )["items"]
    assert [(p["version"], p["status"]) for p in listed] == [(2, "published"), (1, "superseded")]
    assert (
        (await gateway.get(f"{Q}/01/{gtin}/10/{lot['number']}")).json()["id"].endswith(second["id"])
    )
    # the other brand does not list them; a brand cannot publish
    other = ok(
        await gateway.get(f"{Q}/passports", headers=tokens.h("my"), params={"lot_id": lot["id"]})
    )
    assert other["items"] == []
    denied = await gateway.post(f"{Q}/lots/{lot['id']}/passports", headers=tokens.h("lbx"))
    assert denied.status_code == 403


async def _root_link_resolves(
    gateway: httpx.AsyncClient, root_link: str, passport_url: str, gtin: str
) -> None:
    """GS1 Digital Link at the gateway's root, no token: JSON-LD for machines, the page for
    a phone, HEAD, and problem+json for an unknown lot."""
    path = root_link.removeprefix(str(gateway.base_url).rstrip("/"))
    assert path.startswith("/01/")
    for accept in ("application/ld+json", "application/json", "*/*"):
        resp = await gateway.get(path, headers={"Accept": accept})
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("application/ld+json")
        assert resp.json()["id"] == passport_url
    page = await gateway.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html") and "QA passed" in page.text
    head = await gateway.head(path, headers={"Accept": "text/html"})
    assert head.status_code == 200 and head.content == b""
    missing = await gateway.get(f"/01/{gtin}/10/NO-SUCH-LOT")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "passport_not_found"
    assert missing.json()["instance"] == f"/01/{gtin}/10/NO-SUCH-LOT"
    doc = ok(await gateway.get("/openapi.json"))
    root_op = doc["paths"]["/01/{gtin}/10/{lot_number}"]["get"]
    assert root_op["security"] == [] and "404" in root_op["responses"]


async def test_public_reads_see_published_rows_only(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory, stack: Stack
) -> None:
    await _published(gateway, tokens, factory)
    # as quality's own role, no tenant, no system flag: the row-level policies decide
    conn = await asyncpg.connect(stack.service_dsn("quality", driver="postgresql"))
    try:
        async with conn.transaction():
            await conn.execute(
                "SELECT set_config('weft.tenant_id', '', true), "
                "set_config('weft.system', 'off', true)"
            )
            statuses = await conn.fetch("SELECT DISTINCT status FROM quality.passports")
            assert {r["status"] for r in statuses} <= {"published", "superseded"}
            assert statuses
            for table in ("inspections", "lots", "photos", "defects", "reports", "feed_entries"):
                assert await conn.fetchval(f"SELECT count(*) FROM quality.{table}") == 0
    finally:
        await conn.close()


async def test_passport_page_renders_in_chromium(
    gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium", path="/usr/bin")
    if chromium is None:
        pytest.skip("not run: /usr/bin/chromium is not installed (Debian package `chromium`)")
    lot, passport, _gtin = await _published(gateway, tokens, factory)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "passport-page.png"
    await asyncio.to_thread(shot.unlink, True)
    url = f"{gateway.base_url}{Q}/passports/{passport['id']}"
    # headless Chromium sends Accept: text/html first, so it gets the page
    proc = await asyncio.to_thread(
        subprocess.run,
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=412,915",
            f"--screenshot={shot}",
            url,
        ],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert shot.exists() and shot.stat().st_size > 5000
    dom = await asyncio.to_thread(
        subprocess.run,
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
        capture_output=True,
        timeout=120,
    )
    assert lot["number"] in dom.stdout.decode()
