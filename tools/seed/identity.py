"""Identity's part of the demo: Paco (a provider), its users, its brand customers and theirs.

Everything goes through identity's HTTP API; every step finds what a previous run made.
"""

from __future__ import annotations

from typing import Any

import httpx

from tools.seed import DEMO_PASSWORD, SeedContext

OPERATOR = ("admin@packpolish.example", "pack-polish")
PACO_USERS = [
    ("Paco admin", "admin@paco.example", "ADMIN"),
    # a second admin: approves break-glass elevations (never the requester's own)
    ("Paco support lead", "support@paco.example", "ADMIN"),
    ("Paco ops manager", "ops@paco.example", "OPS_MANAGER"),
    ("Paco operator", "operator@paco.example", "OPERATOR"),
    ("Paco inspector", "inspector@paco.example", "INSPECTOR"),
    ("Paco CEO", "ceo@paco.example", "C_LEVEL"),
    ("Paco viewer", "viewer@paco.example", "VIEWER"),
]
CLIENTS = [
    (
        "luxury-brand-x",
        "Luxury Brand X",
        "https://cdn.paco.example/luxury-brand-x.png",
        [
            ("Luxury Brand X viewer", "viewer@luxurybrandx.example", "CLIENT_VIEWER"),
            ("Luxury Brand X admin", "admin@luxurybrandx.example", "CLIENT_ADMIN"),
        ],
    ),
    (
        "maison-y",
        "Maison Y",
        None,
        [
            ("Maison Y viewer", "viewer@maisony.example", "CLIENT_VIEWER"),
        ],
    ),
]


def _url(ctx: SeedContext) -> str:
    return ctx.service_urls["identity"]


def login(
    ctx: SeedContext,
    email: str,
    tenant_slug: str,
    password: str | None = None,
    space: str | None = None,
) -> str:
    """An access token for a demo login (DEMO_PASSWORD unless told otherwise)."""
    if password is None:
        password = (
            ctx.operator_admin_password if (email, tenant_slug) == OPERATOR else DEMO_PASSWORD
        )
    body: dict[str, Any] = {"email": email, "password": password, "tenant": tenant_slug}
    if space:
        body["space"] = space
    resp = httpx.post(f"{_url(ctx)}/auth/login", json=body, timeout=30)
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def _check(resp: httpx.Response, *ok: int) -> dict[str, Any]:
    if resp.status_code not in ok:
        raise RuntimeError(
            f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
        )
    return resp.json() if resp.content else {}


def _ensure_user(
    client: httpx.Client, path: str, body: dict[str, Any], tenant_id: str | None
) -> str:
    resp = client.post(path, json=body)
    if resp.status_code == 409:
        params = {"email": body["email"]}
        if tenant_id:
            params["tenant_id"] = tenant_id
        items = _check(client.get("/users", params=params), 200)["items"]
        user_id = str(items[0]["id"])
        # A second run: make sure the demo password works.
        _check(client.put(f"/users/{user_id}/password", json={"password": DEMO_PASSWORD}), 204)
        return user_id
    return str(_check(resp, 201)["id"])


def _ensure_client_tenant(client: httpx.Client, slug: str, name: str, logo: str | None) -> str:
    body: dict[str, Any] = {"name": name, "slug": slug}
    if logo:
        body["logo_url"] = logo
    resp = client.post("/tenants", json=body)
    if resp.status_code == 409:
        items = _check(client.get("/tenants", params={"slug": slug}), 200)["items"]
        return str(items[0]["id"])
    return str(_check(resp, 201)["id"])


def seed(ctx: SeedContext) -> None:
    url = _url(ctx)
    tenants: dict[str, str] = ctx.data.setdefault("tenants", {})
    op_token = login(ctx, *OPERATOR)
    with httpx.Client(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {op_token}"}
    ) as op:
        me = _check(op.get("/me"), 200)
        tenants["pack-polish"] = str(me["tenant"]["id"])
        reg = _check(
            op.post(
                "/tenants/register",
                json={
                    "name": "Paco",
                    "slug": "paco",
                    "plan": "enterprise",
                    "industry": "luxury_packaging",
                    "external_customer_id": "cus_paco_demo",
                    "owner_email": "admin@paco.example",
                    "owner_name": "Paco admin",
                },
            ),
            200,
            201,
        )
        tenants["paco"] = str(reg["tenant"]["id"])
        # The owner got a one-time invite by mail; the demo sets its password directly.
        _check(
            op.put(f"/users/{reg['owner']['id']}/password", json={"password": DEMO_PASSWORD}), 204
        )
    ctx.logins.append(("Pack & Polish operator admin", OPERATOR[0], OPERATOR[1], "PROVIDER"))

    paco_token = login(ctx, "admin@paco.example", "paco")
    with httpx.Client(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {paco_token}"}
    ) as paco:
        for who, email, role in PACO_USERS:
            if email != "admin@paco.example":
                _ensure_user(
                    paco,
                    "/users",
                    {"email": email, "name": who, "roles": [role], "password": DEMO_PASSWORD},
                    None,
                )
            ctx.logins.append((who, email, "paco", "PROVIDER"))
        for slug, name, logo, people in CLIENTS:
            tid = _ensure_client_tenant(paco, slug, name, logo)
            tenants[slug] = tid
            for who, email, role in people:
                _ensure_user(
                    paco,
                    "/client-users",
                    {
                        "client_slug": slug,
                        "email": email,
                        "name": who,
                        "roles": [role],
                        "password": DEMO_PASSWORD,
                    },
                    tid,
                )
                ctx.logins.append((who, email, slug, "CLIENT"))
    _seed_elevation(ctx)


def _seed_elevation(ctx: SeedContext) -> None:
    """A break-glass request waiting for an approver (the README walk-through)."""
    token = login(ctx, "ops@paco.example", "paco")
    with httpx.Client(
        base_url=_url(ctx), timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as ops:
        if _check(ops.get("/elevations", params={"status": "pending"}), 200)["items"]:
            return
        _check(
            ops.post(
                "/elevations",
                json={
                    "scopes": ["audit:read"],
                    "reason": "audit: who changed the QA_LEAD role last week?",
                    "duration_minutes": 60,
                },
            ),
            201,
        )
