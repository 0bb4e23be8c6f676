"""The contract guards' network: two providers, each with a brand, and a few records each.

Paco and Luxury Brand X come from the demo seed. A second provider ("guard") and its brand
are registered here through the public APIs, as an operator and a provider's admin would,
and given one record of every kind the spec has an id for, so the IDOR sweep has foreign
ids to try in both directions and the fuzzers have tenants of their own to make a mess in.
"""

from __future__ import annotations

import email
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.common.federation import FederationKey
from tools.seed import DEMO_PASSWORD, SeedContext
from tools.seed.catalog import E123_QR
from tools.stack import Stack


def ok(resp: httpx.Response, *codes: int) -> dict[str, Any]:
    assert resp.status_code in codes, (
        f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
    )
    return resp.json() if resp.content else {}


@dataclass
class Login:
    """One user of one tenant; its access token is renewed before it expires."""

    gateway_url: str
    email: str
    tenant_slug: str
    tenant_id: str
    space: str
    password: str = DEMO_PASSWORD
    _token: tuple[float, str] | None = field(default=None, repr=False)

    @property
    def token(self) -> str:
        if self._token is None or time.monotonic() - self._token[0] > 120:
            body = {"email": self.email, "password": self.password, "tenant": self.tenant_slug}
            got = ok(httpx.post(f"{self.gateway_url}/v1/identity/auth/login", json=body), 200)
            self._token = (time.monotonic(), str(got["access_token"]))
        return self._token[1]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, base_url: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=base_url or self.gateway_url,
            headers=self.headers(),
            timeout=60,
            event_hooks={"request": [_request_id]},
        )


def _request_id(request: httpx.Request) -> None:
    """Each request names itself with a UUID, so the tenants' audit records carry ids the
    IDOR sweep can harvest and try against the other tenants (`?request_id=`)."""
    request.headers.setdefault("X-Request-Id", str(uuid.uuid4()))


@dataclass
class Network:
    """The four tenants of the guards: providers A (Paco) and B, brands A (LBX) and B."""

    provider_a: Login
    brand_a: Login
    provider_b: Login
    brand_b: Login
    # ids this module created and the owner kept, by the spec's parameter name
    created: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def all(self) -> dict[str, Login]:
        return {
            "provider_a": self.provider_a,
            "brand_a": self.brand_a,
            "provider_b": self.provider_b,
            "brand_b": self.brand_b,
        }


@pytest.fixture(scope="session")
def spec(stack: Stack) -> dict[str, Any]:
    """The live merged OpenAPI document, as a client downloads it from the gateway."""
    return ok(httpx.get(f"{stack.gateway_url}/openapi.json", timeout=30), 200)


def _register_provider(stack: Stack, seed: SeedContext, tag: str) -> Login:
    operator = Login(
        stack.gateway_url,
        "admin@packpolish.example",
        "pack-polish",
        seed.data["tenants"]["pack-polish"],
        "PROVIDER",
        password=seed.operator_admin_password,
    )
    email = f"admin@guard-{tag}.example"
    with operator.client() as op:
        reg = ok(
            op.post(
                "/v1/identity/tenants/register",
                json={
                    "name": f"Guard provider {tag}",
                    "slug": f"guard-{tag}",
                    "plan": "enterprise",
                    "industry": "luxury_packaging",
                    "external_customer_id": f"cus_guard_{tag}",
                    "owner_email": email,
                    "owner_name": "Guard admin",
                },
            ),
            201,
        )
        ok(
            op.put(
                f"/v1/identity/users/{reg['owner']['id']}/password",
                json={"password": DEMO_PASSWORD},
            ),
            204,
        )
    return Login(stack.gateway_url, email, f"guard-{tag}", str(reg["tenant"]["id"]), "PROVIDER")


def _add_brand(provider: Login, tag: str) -> Login:
    slug = f"guard-brand-{tag}"
    email = f"admin@{slug}.example"
    with provider.client() as c:
        brand = ok(c.post("/v1/identity/tenants", json={"name": f"Brand {tag}", "slug": slug}), 201)
        ok(
            c.post(
                "/v1/identity/client-users",
                json={
                    "client_id": brand["id"],
                    "email": email,
                    "name": "Brand admin",
                    "roles": ["CLIENT_ADMIN"],
                    "password": DEMO_PASSWORD,
                },
            ),
            201,
        )
    return Login(provider.gateway_url, email, slug, str(brand["id"]), "CLIENT")


def _magic_link_token(mail_dir: Path, to: str, wait: float = 60) -> str:
    """The sign-in link identity mailed to `to` (the local mail folder)."""
    deadline = time.monotonic() + wait
    while True:
        for path in mail_dir.glob("*.eml") if mail_dir.exists() else []:
            msg = email.message_from_bytes(path.read_bytes())
            if msg["To"] == to:
                body = msg.get_payload(decode=True)
                assert isinstance(body, bytes)
                found = re.search(r"/auth/magic-link/([A-Za-z0-9_\-]+)", body.decode())
                assert found, body
                return found.group(1)
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {to}")
        time.sleep(0.2)


def _records(provider: Login, brand: Login, tag: str, mail_dir: Path) -> dict[str, list[str]]:
    """One record of every kind that has an id in the spec, made as the provider's admin."""
    made: dict[str, list[str]] = {}

    def keep(name: str, value: Any) -> None:
        made.setdefault(name, []).append(str(value))

    with provider.client() as c:
        user = ok(
            c.post(
                "/v1/identity/users",
                json={
                    "email": f"victim-{tag}@guard.example",
                    "name": "IDOR victim",
                    "roles": ["VIEWER"],
                    "password": DEMO_PASSWORD,
                },
            ),
            201,
        )
        keep("user_id", user["id"])
        role = ok(
            c.post(
                "/v1/identity/roles",
                json={
                    "name": f"GUARD_{tag.upper()}",
                    "space": "PROVIDER",
                    "permissions": ["orders:read"],
                },
            ),
            201,
        )
        keep("role_id", role["id"])
        api_client = ok(
            c.post(
                "/v1/identity/api-clients",
                json={"name": f"guard ERP {tag}", "scopes": ["orders:read", "lots:read"]},
            ),
            201,
        )
        keep("api_client_id", api_client["id"])
        # federation: a peer, and a tenant link made through a second peer that is then
        # removed, so the link settles (failed) before the sweep compares records
        peer = ok(
            c.post(
                "/v1/identity/federation/peers",
                json={
                    "name": f"guard portal {tag}",
                    "base_url": "http://127.0.0.1:9/v1/identity",
                    "public_key": FederationKey.generate().public_pem,
                },
            ),
            201,
        )
        keep("peer_id", peer["id"])
        portal = ok(
            c.post(
                "/v1/identity/federation/peers",
                json={
                    "name": f"guard linking portal {tag}",
                    "base_url": "http://127.0.0.1:9/v1/identity",
                    "public_key": FederationKey.generate().public_pem,
                    "link_tenants": True,
                },
            ),
            201,
        )
        linked = ok(
            c.post(
                "/v1/identity/tenants",
                json={"name": f"Guard linked {tag}", "slug": f"guard-linked-{tag}"},
            ),
            201,
        )
        ok(c.delete(f"/v1/identity/federation/peers/{portal['id']}"), 204)
        links = ok(c.get("/v1/identity/federation/links", params={"limit": 100}), 200)
        link_id = next(x["id"] for x in links["items"] if x["tenant_ref"] == linked["id"])
        keep("link_id", link_id)
        deadline = time.monotonic() + 120
        while ok(c.get(f"/v1/identity/federation/links/{link_id}"), 200)["status"] != "failed":
            assert time.monotonic() < deadline, "the guard's federation link did not settle"
            time.sleep(0.5)
        elevation = ok(
            c.post(
                "/v1/identity/elevations",
                json={
                    "scopes": ["orders:read"],
                    "reason": f"guard elevation {tag} for the IDOR sweep",
                    "duration_minutes": 5,
                },
            ),
            201,
        )
        keep("elevation_id", elevation["id"])

        plant = ok(
            c.post(
                "/v1/production/plants",
                json={"code": f"G-{tag}", "name": f"Guard plant {tag}"},
            ),
            201,
        )
        keep("plant_id", plant["id"])
        item = ok(
            c.post(
                "/v1/production/inventory/items",
                json={
                    "plant_id": plant["id"],
                    "sku": f"BOARD-{tag}",
                    "name": "Board",
                    "unit": "sheet",
                    "initial_quantity": "1000",
                },
            ),
            201,
        )
        keep("item_id", item["id"])
        product = ok(
            c.post(
                "/v1/production/products",
                json={
                    "sku": f"BOX-{tag}",
                    "name": "Guard box",
                    "bom": [{"sku": f"BOARD-{tag}", "quantity": "1"}],
                    "stages": [
                        {"name": "Cutting", "estimated_minutes": 5, "steps": [], "parameters": []}
                    ],
                },
            ),
            201,
        )
        version = product["versions"][0]["id"]
        ok(c.post(f"/v1/production/products/{product['id']}/versions/{version}/release"), 200)
        keep("product_id", product["id"])
        keep("version_id", version)
        order = ok(
            c.post(
                "/v1/production/orders",
                json={
                    "number": f"G-{tag}-1",
                    "customer_tenant_id": brand.tenant_id,
                    "plant_id": plant["id"],
                    "product_id": product["id"],
                    "quantity": 100,  # room for the sweep's lots of 1
                    "unit_price": "5.00",
                    "currency": "EUR",
                    "due_date": "2026-12-31",
                },
            ),
            201,
        )
        keep("order_id", order["id"])
        ok(c.post(f"/v1/production/orders/{order['id']}/allocate"), 200)
        po = ok(c.post("/v1/production/production-orders", json={"order_id": order["id"]}), 201)
        keep("production_order_id", po["id"])
        for stage in po["stages"]:
            keep("stage_id", stage["id"])
        lot = ok(c.post("/v1/production/lots", json={"order_id": order["id"], "quantity": 10}), 201)
        keep("lot_id", lot["id"])
        run = ok(c.post("/v1/production/mrp/runs", json={"plant_id": plant["id"]}), 201)
        keep("run_id", run["id"])

        # partner: the brand's tenant registered as an integration partner, a blueprint
        # and a partner project following it
        partner = ok(
            c.post(
                "/v1/partner/partners",
                json={"name": f"Guard partner {tag}", "tenant_id": brand.tenant_id},
            ),
            201,
        )
        keep("partner_id", partner["id"])
        blueprint = ok(
            c.post("/v1/partner/projects", json={"name": f"API {tag}"}),
            201,
        )
        keep("project_id", blueprint["id"])
        project = ok(
            c.post(
                f"/v1/partner/partners/{partner['id']}/projects",
                json={"name": f"Guard integration {tag}", "blueprint_id": blueprint["id"]},
            ),
            201,
        )
        keep("project_id", project["id"])
        spec = {
            "openapi": "3.1.0",
            "info": {"title": f"Guard {tag}", "version": "1"},
            "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
        }
        for pid in (blueprint["id"], project["id"]):
            got = ok(c.post(f"/v1/partner/projects/{pid}/specs", json=spec), 201)
            keep("spec_id", got["id"])
            keep("spec_version_id", got["id"])
        # a mock of the project's spec, a run target on it, a finished run, a conversation
        mock = ok(
            c.post(
                f"/v1/partner/projects/{project['id']}/mocks", json={"spec_version_id": got["id"]}
            ),
            201,
        )
        keep("mock_id", mock["id"])
        target = ok(
            c.post(
                f"/v1/partner/projects/{project['id']}/targets",
                json={"kind": "mock", "name": f"Guard mock {tag}", "mock_id": mock["id"]},
            ),
            201,
        )
        keep("target_id", target["id"])
        run = ok(
            c.post(
                f"/v1/partner/projects/{project['id']}/runs",
                json={"target_id": target["id"], "property_examples": 0},
            ),
            202,
        )
        keep("run_id", run["id"])
        deadline = time.monotonic() + 120
        # finished before the sweep, so that its record does not change under the sweep
        while ok(c.get(f"/v1/partner/runs/{run['id']}"), 200)["status"] not in (
            "passed",
            "failed",
            "errored",
        ):
            assert time.monotonic() < deadline, "the guard's run did not finish"
            time.sleep(0.5)
        talk = ok(
            c.post(f"/v1/partner/projects/{project['id']}/conversations", json={"title": "Guard"}),
            201,
        )
        keep("conversation_id", talk["id"])
        phase = ok(
            c.post(
                f"/v1/partner/projects/{project['id']}/phases",
                json={"name": "Guard phase", "criteria": [{"title": "a"}, {"title": "b"}]},
            ),
            201,
        )
        for crit in phase["criteria"]:
            keep("criterion_id", crit["id"])
        # the partner's lead, by magic link, submits evidence and requests a review
        lead = f"lead-{tag}@partner.guard.example"
        ok(
            c.post(
                "/v1/identity/invites",
                json={
                    "email": lead,
                    "tenant_id": brand.tenant_id,
                    "roles": ["PARTNER_LEAD"],
                    "space": "DEVELOPER",
                    "login": "magic_link",
                },
            ),
            201,
        )
    token = _magic_link_token(mail_dir, lead)
    signed = ok(
        httpx.post(
            f"{provider.gateway_url}/v1/identity/auth/magic-link/{token}", json={"email": lead}
        ),
        200,
    )
    with httpx.Client(
        base_url=provider.gateway_url,
        headers={"Authorization": f"Bearer {signed['access_token']}"},
        timeout=60,
    ) as p:
        base = f"/v1/partner/projects/{project['id']}"
        for crit in phase["criteria"]:
            ev = ok(
                p.post(
                    f"{base}/criteria/{crit['id']}/evidence",
                    json={"kind": "link", "title": "log", "url": "https://guard.example/"},
                ),
                201,
            )
            keep("evidence_id", ev["id"])
        review = ok(p.post(f"{base}/reviews", json={}), 201)
        keep("review_id", review["id"])
    with provider.client() as c:
        endpoint = ok(
            c.post(
                "/v1/sync/endpoints",
                json={
                    "url": "http://127.0.0.1:9/guard-hook",
                    "event_types": ["production.*"],
                    "description": f"guard {tag}",
                },
            ),
            201,
        )
        keep("endpoint_id", endpoint["id"])
        # a test event makes a message (and its attempts) to look up by id
        ok(c.post(f"/v1/sync/endpoints/{endpoint['id']}/test"), 202)
        # then off: the tenant's real events are not fanned out to a dead address
        ok(c.patch(f"/v1/sync/endpoints/{endpoint['id']}", json={"enabled": False}), 200)
    return made


@pytest.fixture(scope="session")
def network(stack: Stack, seed: SeedContext) -> Network:
    tag = uuid.uuid4().hex[:6]
    tenants = seed.data["tenants"]
    paco = Login(stack.gateway_url, "admin@paco.example", "paco", tenants["paco"], "PROVIDER")
    lbx = Login(
        stack.gateway_url,
        "admin@luxurybrandx.example",
        "luxury-brand-x",
        tenants["luxury-brand-x"],
        "CLIENT",
    )
    provider_b = _register_provider(stack, seed, tag)
    brand_b = _add_brand(provider_b, tag)
    net = Network(provider_a=paco, brand_a=lbx, provider_b=provider_b, brand_b=brand_b)
    mail_dir = Path(stack.config.state_dir) / "mail"
    net.created["provider_b"] = _records(provider_b, brand_b, f"b{tag}", mail_dir)
    net.created["provider_a"] = _records(paco, lbx, f"a{tag}", mail_dir)
    # a service ticket of Paco's (the demo's equipment E-123, by its public QR route), so the
    # ticket routes have a foreign id whatever ran before
    receipt = ok(
        httpx.post(
            f"{paco.gateway_url}/v1/catalog/qr/{E123_QR}/tickets",
            json={"subject": f"Guard ticket {tag}"},
            timeout=60,
        ),
        201,
    )
    net.created["provider_a"].setdefault("ticket_id", []).append(str(receipt["ticket_id"]))
    return net
