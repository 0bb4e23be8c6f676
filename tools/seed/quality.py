"""Quality's part of the demo, through the gateway as Paco's users: the tenant's sampling
plan from its industry template, GTINs, checklists and the QA lead's approval of reduced
inspection (ISO 2859-1 switching) for the demo products, an inspection
of lot LBX-1001-L02 with defects and generated photos, a report and a published passport.

Every step finds what a previous run made.
"""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
from PIL import Image, ImageDraw

from tools.seed import SeedContext
from tools.seed.identity import login

Q = "/v1/quality"
DEMO_LOT = "LBX-1001-L02"
PRODUCTS = {
    "GBX-DLX": ("Gift Box Deluxe", "09506000134352"),
    "PERF-SLV": ("Perfume Sleeve", "09506000134369"),
}
CHECKS: dict[str, list[dict[str, Any]]] = {
    "GBX-DLX": [
        {"category": "Visual", "label": "Lid free of scratches and dents"},
        {"category": "Visual", "label": "Gold foil logo sharp and centred"},
        {
            "category": "Dimensional",
            "label": "Lid width",
            "check_type": "measurement",
            "target": "240.0",
            "tolerance": "0.5",
            "unit": "mm",
        },
        {"category": "Functional", "label": "Magnetic closure snaps shut"},
        {"category": "Packaging", "label": "Tissue folded, ribbon tied", "mandatory": False},
    ],
    "PERF-SLV": [
        {"category": "Visual", "label": "Print registration within 0.2 mm"},
        {
            "category": "Dimensional",
            "label": "Sleeve height",
            "check_type": "measurement",
            "target": "110.0",
            "tolerance": "0.3",
            "unit": "mm",
        },
        {"category": "Packaging", "label": "Packed flat, 50 per bundle"},
    ],
}
DEFECTS = [
    (3, "minor", "Hairline scratch on the lid corner", (150, 30, 40)),
    (7, "minor", "Ribbon knot slightly off centre", (20, 20, 24)),
]


def _ok(resp: httpx.Response, *codes: int) -> Any:
    if resp.status_code not in codes:
        raise RuntimeError(
            f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
        )
    return resp.json() if resp.content else {}


def _photo(color: tuple[int, int, int], label: str) -> bytes:
    """A generated product photo: a box face with a visible flaw line."""
    img = Image.new("RGB", (960, 720), color)
    draw = ImageDraw.Draw(img)
    draw.rectangle((120, 90, 840, 630), outline=(212, 175, 55), width=10)
    draw.line((520, 200, 700, 260), fill=(235, 235, 235), width=4)
    draw.text((140, 640), label, fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _wait(what: str, check: Any, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise RuntimeError(f"seed: {what} did not happen in {seconds}s")
        time.sleep(0.2)


def _setup(c: httpx.Client, ctx: SeedContext, token: str) -> None:
    me = httpx.get(
        f"{ctx.service_urls['identity']}/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    defaults = (_ok(me, 200).get("tenant") or {}).get("defaults") or {}
    body: dict[str, Any] = {
        "name": "Paco",
        "logo_url": "https://cdn.paco.example/paco.png",
        "issuer_did": "did:web:paco.example",
    }
    if defaults.get("inspection_sampling"):
        body["sampling_code"] = defaults["inspection_sampling"]
    _ok(c.put(f"{Q}/settings", json=body), 200)
    for sku, (name, gtin) in PRODUCTS.items():
        _ok(c.put(f"{Q}/products/{sku}", json={"name": name, "gtin": gtin}), 200)
        # ISO 2859-1: the QA lead approves reduced inspection (it starts once the switching
        # score reaches 30 with production steady)
        _ok(c.put(f"{Q}/products/{sku}/switching", json={"reduced_approved": True}), 200)
        active = _ok(
            c.get(f"{Q}/checklists", params={"product_sku": sku, "status": "active"}), 200
        )["items"]
        if not active:
            _ok(
                c.post(
                    f"{Q}/checklists",
                    json={"product_sku": sku, "name": f"Final QA {name}", "items": CHECKS[sku]},
                ),
                201,
            )


def _inspect(c: httpx.Client, lot_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        items = _ok(c.get(f"{Q}/inspections", params={"lot_id": lot_id}), 200)["items"]
        return items[0] if items else None

    inspection = _wait("the demo lot's inspection to open", find)
    if inspection["status"] == "completed":
        return inspection  # type: ignore[no-any-return]
    url = f"{Q}/inspections/{inspection['id']}"
    if inspection["status"] in ("open", "assigned"):
        _ok(c.post(f"{url}/start"), 200)
    n = inspection["plan"]["sample_size"]
    if inspection["checklist_id"]:
        checklist = _ok(c.get(f"{Q}/checklists/{inspection['checklist_id']}"), 200)
        results = [
            {"item_id": item["id"], "unit": unit, "value": str(float(item["target"]) + 0.1)}
            if item["check_type"] == "measurement"
            else {"item_id": item["id"], "unit": unit, "passed": True}
            for unit in range(1, n + 1)
            for item in checklist["items"]
        ]
        _ok(c.put(f"{url}/results", json={"results": results}), 200)
    photo_ids = []
    for unit, severity, text, color in DEFECTS:
        defect = _ok(
            c.post(
                f"{url}/defects", json={"unit": unit, "severity": severity, "description": text}
            ),
            201,
        )
        image = _photo(color, text)
        made = _ok(
            c.post(
                f"{url}/photos",
                json={
                    "content_type": "image/jpeg",
                    "size": len(image),
                    "defect_id": defect["id"],
                    "caption": text,
                },
            ),
            201,
        )
        upload = made["upload"]
        _ok(httpx.put(upload["url"], content=image, headers=upload["headers"], timeout=30), 204)
        photo = _ok(c.post(f"{Q}/photos/{made['photo']['id']}/complete"), 200)
        _ok(
            c.put(
                f"{Q}/photos/{photo['id']}/annotations",
                json={
                    "annotations": [
                        {"kind": "box", "x": 0.5, "y": 0.22, "w": 0.25, "h": 0.18, "label": text},
                        {"kind": "arrow", "x1": 0.9, "y1": 0.6, "x2": 0.7, "y2": 0.38},
                    ]
                },
            ),
            200,
        )
        photo_ids.append(photo["id"])
    for photo_id in photo_ids:
        _wait(
            "photo processing",
            lambda pid=photo_id: _ok(c.get(f"{Q}/photos/{pid}"), 200)["status"] == "processed",
        )
    return _ok(c.post(f"{url}/complete"), 200)  # type: ignore[no-any-return]


def seed(ctx: SeedContext) -> None:
    if "quality" not in ctx.service_urls or "production" not in ctx.data:
        return
    lot_id = ctx.data["production"]["lots"].get(DEMO_LOT)
    token = login(ctx, "admin@paco.example", "paco")
    with httpx.Client(
        base_url=ctx.gateway_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        _setup(c, ctx, token)
        if lot_id is None:
            return
        inspection = _inspect(c, lot_id)
        reports = _ok(c.get(f"{Q}/lots/{lot_id}/reports"), 200)
        if not reports["inspection_report"]:
            _ok(c.post(f"{Q}/lots/{lot_id}/reports", json={"type": "inspection_report"}), 202)
        passports = _ok(c.get(f"{Q}/passports", params={"lot_id": lot_id}), 200)["items"]
        passport = passports[0] if passports else _ok(c.post(f"{Q}/lots/{lot_id}/passports"), 201)
    ctx.data["quality"] = {
        "inspection_id": inspection["id"],
        "verdict": inspection["verdict"],
        "passport_id": passport["id"],
        "passport_url": f"{ctx.gateway_url}{Q}/passports/{passport['id']}",
        "digital_link": passport["credential"]["credentialSubject"]["id"],
    }
