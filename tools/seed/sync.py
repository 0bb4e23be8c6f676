"""Sync's demo data: Paco's ERP webhook subscription to lot events (disabled: the ERP host is
an example; enable it with a real URL to watch signed deliveries arrive)."""

from __future__ import annotations

import httpx

from libs.contracts import known_types_matching
from tools.seed import SeedContext
from tools.seed.identity import login

DEMO_ERP_URL = "https://erp.paco.example/weft/webhooks"


def seed(ctx: SeedContext) -> None:
    if "sync" not in ctx.service_urls:
        return
    token = login(ctx, "admin@paco.example", "paco")
    with httpx.Client(
        base_url=f"{ctx.service_urls['sync']}",
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        listed = client.get("/endpoints", params={"limit": 200})
        listed.raise_for_status()
        found = [e for e in listed.json()["items"] if e["url"] == DEMO_ERP_URL]
        if found:
            endpoint = found[0]
        else:
            resp = client.post(
                "/endpoints",
                json={
                    "url": DEMO_ERP_URL,
                    "event_types": [
                        p for p in ("production.lot.*", "quality.*") if known_types_matching(p)
                    ],
                    "description": "Paco ERP (demo, disabled)",
                    "enabled": False,
                },
            )
            resp.raise_for_status()
            endpoint = resp.json()
    ctx.data["sync"] = {"demo_endpoint_id": endpoint["id"]}
