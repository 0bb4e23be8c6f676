"""Two Weft instances, each a full stack (its own PostgreSQL, processes and gateway),
federate: each registers the other's key, they exchange signed requests through their
gateways, and a tenant provisioned on one while the other is down is linked once the
peer is back (the provisioning job retries with backoff).

Instance A is the suite's stack (Paco, a provider). Instance B is started here with no
demo data: its operator plays the provider federation portal."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tools.run import bring_up
from tools.seed import DEMO_PASSWORD, SeedContext
from tools.stack import Proc, Stack, make_stack

ID = "/v1/identity"


async def _token(gw: httpx.AsyncClient, email: str, password: str, tenant: str) -> dict[str, str]:
    resp = await gw.post(
        f"{ID}/auth/login", json={"email": email, "password": password, "tenant": tenant}
    )
    assert resp.status_code == 200, resp.text
    return {"authorization": f"Bearer {resp.json()['access_token']}"}


def _ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, f"{resp.request.url}: {resp.status_code} {resp.text}"
    return resp.json()


async def _wait_for(
    gw: httpx.AsyncClient, headers: dict[str, str], link_id: str, done: str, within: float
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        link: dict[str, Any] = _ok(
            await gw.get(f"{ID}/federation/links/{link_id}", headers=headers)
        )
        if done == "retried" and link["attempts"] >= 1 and link["status"] == "pending":
            return link
        if link["status"] == done:
            return link
        assert time.monotonic() < deadline, f"link not {done} in {within} s: {link}"
        await asyncio.sleep(0.5)


async def test_two_instances_link_exchange_signed_requests_and_retry_a_down_peer(
    stack: Stack, seed: SeedContext, tmp_path: Path
) -> None:
    b = make_stack(tmp_path / "b", fixed_ports=False, environment="test")
    a_peer_id: str | None = None
    a_gw = httpx.AsyncClient(base_url=stack.gateway_url, timeout=60)
    b_gw = httpx.AsyncClient(base_url=b.gateway_url, timeout=60)
    paco: dict[str, str] = {}
    try:
        await asyncio.to_thread(bring_up, b, seed=False)
        paco = await _token(a_gw, "admin@paco.example", DEMO_PASSWORD, "paco")
        portal = await _token(
            b_gw, "admin@packpolish.example", b.secrets["operator_admin_password"], "pack-polish"
        )
        a_key = _ok(await a_gw.get(f"{ID}/federation/instance", headers=paco))
        b_key = _ok(await b_gw.get(f"{ID}/federation/instance", headers=portal))
        assert a_key["key_id"] != b_key["key_id"]

        # B (the portal) registers A: A's signed requests act with a local role of B's
        role = f"FEDERATED_{uuid.uuid4().hex[:6].upper()}"
        _ok(
            await b_gw.post(
                f"{ID}/roles",
                headers=portal,
                json={"name": role, "space": "PROVIDER", "permissions": ["federation:link"]},
            ),
            201,
        )
        b_record_of_a = _ok(
            await b_gw.post(
                f"{ID}/federation/peers",
                headers=portal,
                json={
                    "name": "Paco's Weft",
                    "base_url": f"{stack.gateway_url}{ID}",
                    "public_key": a_key["public_key"],
                    "roles": [role],
                },
            ),
            201,
        )
        # A (Paco) registers B as its portal: provisioning links new tenants to it
        a_record_of_b = _ok(
            await a_gw.post(
                f"{ID}/federation/peers",
                headers=paco,
                json={
                    "name": "Provider federation portal",
                    "base_url": f"{b.gateway_url}{ID}",
                    "public_key": b_key["public_key"],
                    "link_tenants": True,
                },
            ),
            201,
        )
        a_peer_id = a_record_of_b["id"]

        # signed requests both ways, through both gateways: each answers with what its
        # own local policy grants the other
        got = _ok(await a_gw.post(f"{ID}/federation/peers/{a_peer_id}/ping", headers=paco))
        assert got["status"] == 200, got
        assert got["answer"]["peer_id"] == b_record_of_a["id"]
        assert got["answer"]["roles"] == [role]
        assert got["answer"]["permissions"] == ["federation:link"]
        back = _ok(
            await b_gw.post(f"{ID}/federation/peers/{b_record_of_a['id']}/ping", headers=portal)
        )
        assert back["status"] == 200 and back["answer"]["peer_id"] == a_peer_id
        assert back["answer"]["roles"] == [] and back["answer"]["permissions"] == []

        # the portal goes down; Paco provisions a brand meanwhile
        proc = b.procs["identity"]
        assert isinstance(proc, Proc)
        proc.terminate()
        proc.wait(timeout=30)
        slug = f"fed-{uuid.uuid4().hex[:8]}"
        brand = _ok(
            await a_gw.post(
                f"{ID}/tenants", headers=paco, json={"name": "Federated Brand", "slug": slug}
            ),
            201,
        )
        # usable at once, before the link is made
        _ok(await a_gw.get(f"{ID}/tenants/{brand['id']}", headers=paco))
        links = _ok(await a_gw.get(f"{ID}/federation/links", headers=paco, params={"limit": 100}))
        (link,) = [x for x in links["items"] if x["tenant_ref"] == brand["id"]]
        assert link["direction"] == "outbound" and link["status"] == "pending"
        failed = await _wait_for(a_gw, paco, link["id"], "retried", within=120)
        assert failed["last_error"], failed

        # the portal is back: a later try (backoff) links the brand
        b.procs["identity"] = Proc(proc.cmd, proc.env, proc.log_path)
        await asyncio.to_thread(b.wait_healthy, ["identity"], 180)
        linked = await _wait_for(a_gw, paco, link["id"], "linked", within=240)
        assert linked["attempts"] >= 2 and linked["linked_at"] and linked["remote_link_id"]

        # B holds the inbound link under the portal tenant, from A's peer record
        inbound = _ok(
            await b_gw.get(f"{ID}/federation/links/{linked['remote_link_id']}", headers=portal)
        )
        assert inbound["direction"] == "inbound" and inbound["tenant_ref"] == brand["id"]
        assert inbound["peer_id"] == b_record_of_a["id"]
        # audited on both sides
        audit = _ok(
            await a_gw.get(
                f"{ID}/audit-events", headers=paco, params={"action": "federation.link_linked"}
            )
        )
        assert any(e["target"] == f"tenant:{brand['id']}" for e in audit["items"]), audit
        audit = _ok(
            await b_gw.get(
                f"{ID}/audit-events",
                headers=portal,
                params={"action": "federation.link_received"},
            )
        )
        assert any(e["actor"] == f"peer:{b_record_of_a['id']}" for e in audit["items"]), audit
    finally:
        if a_peer_id is not None and paco:
            # the suite's stack links no further tenants to a portal that is about to stop
            await a_gw.delete(f"{ID}/federation/peers/{a_peer_id}", headers=paco)
        await a_gw.aclose()
        await b_gw.aclose()
        await asyncio.to_thread(b.stop)
