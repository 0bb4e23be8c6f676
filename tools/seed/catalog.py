"""Catalog's part of the demo: the network, catalogs, price books and service policy of
seed 003's examples A, B and C, in Paco's tenant, through catalog's HTTP API.

- A: ACME publishes S-A1 to Distrimed (D1), which publishes it to Dealer One (DL1); BioMed
  publishes S-B1 directly to DL1. DL1's catalog lists both.
- B: DL1 on the dealer channel pays 950 for S-A1 (org_channel fixed price) and 950 for S-B1
  (channel base 1000 with the 5% dealer discount).
- C: equipment E-123 (ACME) at Hopital Saint-Louis; ACME's policy makes DL1 responsible,
  escalating to D1 then ACME when the SLA passes.

Dealer One's people log in as the client tenant `dealer-one` linked to DL1.
Every step finds what a previous run made.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tools.seed import DEMO_PASSWORD, SeedContext
from tools.seed.identity import login

E123_QR = "demo-e123-acme-scanner"
# the hospital's biomedical engineer: an impersonator sees "j***@saint-louis.example", "+***"
HOSPITAL_CONTACT = {
    "name": "Jeanne Martin",
    "role": "biomedical engineer",
    "email": "jeanne.martin@saint-louis.example",
    "phone": "+33 1 42 49 49 49",
}
DEALER_VIEWER = ("Dealer One viewer", "viewer@dealerone.example")


def _ok(resp: httpx.Response, *codes: int) -> Any:
    if resp.status_code not in codes:
        raise RuntimeError(
            f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
        )
    return resp.json() if resp.content else {}


def _all(c: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = _ok(c.get(path, params={**params, "limit": 200, "cursor": cursor}), 200)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def _find_or_create(
    c: httpx.Client, path: str, body: dict[str, Any], match: dict[str, Any], list_path: str = ""
) -> dict[str, Any]:
    resp = c.post(path, json=body)
    if resp.status_code == 201:
        return resp.json()  # type: ignore[no-any-return]
    _ok(resp, 409)
    for item in _all(c, list_path or path):
        if all(item.get(k) == v for k, v in match.items()):
            return item
    raise RuntimeError(f"{path}: 409 but nothing matches {match}")


def _dealer_tenant(ctx: SeedContext) -> str:
    """The client tenant whose users act as Dealer One."""
    token = login(ctx, "admin@paco.example", "paco")
    with httpx.Client(
        base_url=ctx.service_urls["identity"],
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    ) as paco:
        resp = paco.post("/tenants", json={"name": "Dealer One", "slug": "dealer-one"})
        if resp.status_code == 409:
            tenant_id = str(
                _ok(paco.get("/tenants", params={"slug": "dealer-one"}), 200)["items"][0]["id"]
            )
        else:
            tenant_id = str(_ok(resp, 201)["id"])
        who, email = DEALER_VIEWER
        resp = paco.post(
            "/client-users",
            json={
                "client_slug": "dealer-one",
                "email": email,
                "name": who,
                # CLIENT: Dealer One's catalog; ACCOUNTING: its prices
                "roles": ["CLIENT_VIEWER", "CLIENT_ACCOUNTANT"],
                "password": DEMO_PASSWORD,
            },
        )
        _ok(resp, 201, 409)
    ctx.data.setdefault("tenants", {})["dealer-one"] = tenant_id
    ctx.logins.append((who, email, "dealer-one", "CLIENT"))
    ctx.logins.append((who, email, "dealer-one", "ACCOUNTING"))
    return tenant_id


def _agreements(
    c: httpx.Client,
    acme: dict[str, Any],
    d1: dict[str, Any],
    dl1: dict[str, Any],
    h1: dict[str, Any],
    s_a1: dict[str, Any],
) -> list[str]:
    """Agreements are read-only through the API: they arrive by import (the same file
    again changes nothing)."""
    rows = [
        {
            "name": "ACME distribution, France",
            "kind": "distribution",
            "party_a": acme["name"],
            "party_b": d1["name"],
            "effective_from": "2026-01-01T00:00:00Z",
            "scope": {"categories": ["imaging"], "territories": ["FR"]},
            "terms": {"exclusive": False, "payment_days": 60},
        },
        {
            "name": "Scanner warranty, Hopital Saint-Louis",
            "kind": "warranty",
            "party_a": dl1["name"],
            "party_b": h1["name"],
            "effective_from": "2026-01-01T00:00:00Z",
            "effective_to": "2028-01-01T00:00:00Z",
            "scope": {"skus": [s_a1["sku_code"]]},
            "terms": {"warranty_months": 24, "response_hours": 8},
        },
    ]
    started = _ok(
        c.post(
            "/imports",
            params={"kind": "agreements", "format": "json"},
            content=json.dumps(rows),
            headers={"Content-Type": "application/json"},
        ),
        202,
    )
    for _ in range(240):
        got = _ok(c.get(f"/imports/{started['id']}"), 200)
        if got["status"] == "succeeded":
            return [r["name"] for r in rows]
        if got["status"] == "failed":
            raise RuntimeError(f"agreements import failed: {got['errors']}")
        time.sleep(0.25)
    raise RuntimeError("agreements import did not finish")


def seed(ctx: SeedContext) -> None:
    if "catalog" not in ctx.service_urls:
        return
    dealer_tenant = _dealer_tenant(ctx)
    token = login(ctx, "admin@paco.example", "paco")
    with httpx.Client(
        base_url=ctx.service_urls["catalog"],
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    ) as c:
        orgs = {o["name"]: o for o in _all(c, "/orgs")}

        def org(name: str, type: str, **kw: Any) -> dict[str, Any]:
            if name not in orgs:
                orgs[name] = _ok(c.post("/orgs", json={"name": name, "type": type, **kw}), 201)
            return orgs[name]

        acme = org(
            "ACME Medical",
            "manufacturer",
            regions=["FR", "DE", "IT"],
            profile={"catalog_authority": True, "partner_tiers": ["gold", "silver"]},
        )
        biomed = org("BioMed", "manufacturer", regions=["FR"])
        d1 = org(
            "Distrimed",
            "distributor",
            regions=["FR"],
            certifications=["ACME-SVC"],
            profile={"territories": ["FR"], "inventory_capability": "regional warehouse"},
        )
        dl1 = org(
            "Dealer One",
            "dealer",
            regions=["FR-IDF"],
            certifications=["ACME-SVC"],
            client_tenant_id=dealer_tenant,
            profile={"preferred_distributors": [d1["id"]]},
        )
        h1 = org(
            "Hopital Saint-Louis",
            "hospital",
            regions=["FR-IDF"],
            profile={"departments": ["radiology", "cardiology"]},
            contacts=[HOSPITAL_CONTACT],
        )
        for child, rel, parent in (
            (d1, "distributor_of", acme),
            (dl1, "dealer_of", d1),
            (dl1, "dealer_of", biomed),
        ):
            _ok(
                c.post(
                    f"/orgs/{child['id']}/relationships",
                    json={
                        "relation_type": rel,
                        "target_org_id": parent["id"],
                        "active_from": "2026-01-01T00:00:00Z",
                    },
                ),
                201,
                409,
            )

        def sku(maker: dict[str, Any], product: str, code: str, category: str) -> dict[str, Any]:
            p = _find_or_create(
                c,
                "/products",
                {
                    "manufacturer_org_id": maker["id"],
                    "code": product,
                    "name": product,
                    "category": category,
                },
                {"code": product, "manufacturer_org_id": maker["id"]},
            )
            found = [s for s in _all(c, "/skus", sku_code=code) if s["product_id"] == p["id"]]
            if found:
                return found[0]
            return _ok(
                c.post(
                    "/skus",
                    json={
                        "product_id": p["id"],
                        "sku_code": code,  # type: ignore[no-any-return]
                        "name": f"{product} unit",
                        "cost": "600.00",
                        "cost_currency": "EUR",
                    },
                ),
                201,
            )

        s_a1 = sku(acme, "P-A", "S-A1", "imaging")
        s_b1 = sku(biomed, "P-B", "S-B1", "monitoring")
        channels = {
            name: _find_or_create(c, "/channels", {"name": name, "type": kind}, {"name": name})
            for name, kind in (("Distributor channel", "distributor"), ("Dealer channel", "dealer"))
        }

        def publish(
            channel: str, audience: dict[str, Any], publisher: dict[str, Any], item: dict[str, Any]
        ) -> None:
            ch = channels[channel]
            catalog = _find_or_create(
                c,
                f"/channels/{ch['id']}/catalogs",
                {"org_id": audience["id"], "publisher_org_id": publisher["id"]},
                {"org_id": audience["id"], "publisher_org_id": publisher["id"]},
            )
            if catalog["current_version"] == 0:
                _ok(
                    c.post(f"/catalogs/{catalog['id']}/draft", json={"sku_id": item["id"]}),
                    201,
                    409,
                )
                _ok(c.post(f"/catalogs/{catalog['id']}/publish", json={"note": "demo"}), 201)

        publish("Distributor channel", d1, acme, s_a1)  # ACME publishes S-A1 to D1
        publish("Dealer channel", dl1, d1, s_a1)  # D1 publishes S-A1 to DL1
        publish("Dealer channel", dl1, biomed, s_b1)  # BioMed publishes S-B1 to DL1

        dealer_ch = channels["Dealer channel"]
        for body in (
            {
                "name": "Dealer One on the dealer channel",
                "scope_type": "org_channel",
                "org_id": dl1["id"],
                "channel_id": dealer_ch["id"],
                "rules": [
                    {
                        "selector": "sku",
                        "sku_id": s_a1["id"],
                        "rule_type": "fixed",
                        "value": "950.00",
                    }
                ],
            },
            {
                "name": "Dealer channel 2026",
                "scope_type": "channel",
                "channel_id": dealer_ch["id"],
                "rules": [
                    {
                        "selector": "sku",
                        "sku_id": s_b1["id"],
                        "rule_type": "fixed",
                        "value": "1000",
                    },
                    {
                        "selector": "sku",
                        "sku_id": s_a1["id"],
                        "rule_type": "fixed",
                        "value": "1000",
                    },
                    {"selector": "all", "rule_type": "discount", "value": "5"},
                ],
            },
        ):
            body = {**body, "currency": "EUR", "effective_from": "2026-01-01T00:00:00Z"}
            _ok(c.post("/price-books", json=body), 201, 409)

        _ok(
            c.put(
                "/policies/service-coverage",
                json={
                    "name": "ACME service coverage",
                    "scope": "manufacturer",
                    "org_id": acme["id"],
                    "rules": {
                        "assignment_order": ["dealer", "distributor", "manufacturer"],
                        "eligibility": {"required_certifications": ["ACME-SVC"]},
                        "sla": {
                            "critical": {"response_minutes": 60, "resolve_minutes": 480},
                            "high": {"response_minutes": 240, "resolve_minutes": 1440},
                        },
                        "business_hours": {
                            "timezone": "Europe/Paris",
                            "start": "08:00",
                            "end": "18:00",
                        },
                    },
                },
            ),
            200,
            201,
        )
        e123 = _find_or_create(
            c,
            "/equipment",
            {
                "serial_number": "E-123",
                "sku_id": s_a1["id"],
                "owner_org_id": h1["id"],
                "site": {"name": "Radiology, building B"},
                "region": "FR-IDF",
                "qr_code": E123_QR,
            },
            {"serial_number": "E-123"},
        )
        engineers = {e["name"] for e in _all(c, "/engineers")}
        for name, org_id, regions in (
            ("Camille (internal)", None, ["FR"]),
            ("Yanis (Dealer One)", dl1["id"], ["FR-IDF"]),
        ):
            if name not in engineers:
                _ok(
                    c.post(
                        "/engineers",
                        json={
                            "name": name,
                            "org_id": org_id,
                            "skills": ["imaging"],
                            "regions": regions,
                        },
                    ),
                    201,
                )
        agreements = _agreements(c, acme, d1, dl1, h1, s_a1)
    ctx.data["catalog"] = {
        "orgs": {
            "M1": acme["id"],
            "M2": biomed["id"],
            "D1": d1["id"],
            "DL1": dl1["id"],
            "H1": h1["id"],
        },
        "skus": {"S-A1": s_a1["id"], "S-B1": s_b1["id"]},
        "channels": {k: v["id"] for k, v in channels.items()},
        "equipment": {"E-123": e123["id"], "qr_code": E123_QR},
        "agreements": agreements,
    }
