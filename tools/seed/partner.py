"""Partner's part of the demo: Paco, the API owner, registers an ERP vendor (Northwind ERP,
a client tenant) as an integration partner and invites its people by magic link. Weft's own
merged /openapi.json is the blueprint; the partner's project starts from it, the partner's
lead signs in by the mailed link and uploads a variant with a breaking change (pending
review) and diffs it; the plan has a phase with evidence. Paco's golden cases run against
a mock of the partner's copy of the blueprint, and the passing run is the partner's
evidence for the first exit criterion."""

from __future__ import annotations

import copy
import email
import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tools.seed import SeedContext
from tools.seed.identity import _check, _ensure_client_tenant, login

PT = "/v1/partner"
ID = "/v1/identity"
SLUG = "northwind-erp"
LEAD = "lead@northwind.example"
ENGINEER = "dev@northwind.example"
BLUEPRINT = "Weft API"
PROJECT = "Northwind ERP integration"


def _magic_link(mail_dir: Path, to: str, after: set[str], wait: float = 60) -> str | None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
            if path.name in after:
                continue
            msg = email.message_from_bytes(path.read_bytes())
            if msg["To"] != to:
                continue
            body = msg.get_payload(decode=True)
            raw = body if isinstance(body, bytes) else b""
            found = re.search(rb"/auth/magic-link/([A-Za-z0-9_\-]+)", raw)
            if found:
                return found.group(1).decode()
        time.sleep(0.3)
    return None


def _first(items: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    return next((i for i in items if all(i.get(k) == v for k, v in match.items())), None)


def _variant(spec: dict[str, Any]) -> dict[str, Any]:
    """The partner's variant: one operation gone (a breaking change)."""
    out = copy.deepcopy(spec)
    paths = out.get("paths") or {}
    for path in sorted(paths):
        if path.startswith("/v1/production/orders/{"):
            del paths[path]
            break
    out.setdefault("info", {})["version"] = "partner-variant"
    return out


def seed(ctx: SeedContext) -> None:
    if "partner" not in ctx.service_urls:
        return
    gw = ctx.gateway_url
    token = login(ctx, "admin@paco.example", "paco")
    with httpx.Client(base_url=gw, timeout=120, headers={"Authorization": f"Bearer {token}"}) as c:
        with httpx.Client(
            base_url=f"{gw}{ID}", timeout=60, headers={"Authorization": f"Bearer {token}"}
        ) as ident:
            tenant_id = _ensure_client_tenant(ident, SLUG, "Northwind ERP", None)
        partners = _check(c.get(f"{PT}/partners", params={"limit": 200}), 200)["items"]
        partner = _first(partners, customer_tenant_id=tenant_id)
        fresh = partner is None
        if partner is None:
            body: dict[str, Any] = {
                "name": "Northwind ERP",
                "category": "erp_vendor",
                "contact_email": LEAD,
                "tenant_id": tenant_id,
            }
            partner = _check(c.post(f"{PT}/partners", json=body), 201)
        projects = _check(c.get(f"{PT}/projects", params={"limit": 200}), 200)["items"]
        blueprint = _first(projects, kind="blueprint", name=BLUEPRINT)
        if blueprint is None:
            blueprint = _check(c.post(f"{PT}/projects", json={"name": BLUEPRINT}), 201)
            spec = _check(c.get("/openapi.json"), 200)
            _check(
                c.post(
                    f"{PT}/projects/{blueprint['id']}/specs",
                    json=spec,
                    params={"note": "Weft's own merged OpenAPI"},
                ),
                201,
            )
        project = _first(projects, kind="partner", partner_id=partner["id"])
        if project is None:
            made = {"name": PROJECT, "blueprint_id": blueprint["id"]}
            project = _check(c.post(f"{PT}/partners/{partner['id']}/projects", json=made), 201)
            phase = _check(
                c.post(
                    f"{PT}/projects/{project['id']}/phases",
                    json={
                        "name": "Sandbox certification",
                        "criteria": [
                            {"title": "Orders are created idempotently (Idempotency-Key replay)"},
                            {"title": "Lot webhooks are verified (Standard Webhooks signature)"},
                        ],
                    },
                ),
                201,
            )
            ctx.data.setdefault("partner", {})["criteria"] = [c_["id"] for c_ in phase["criteria"]]
        ctx.data.setdefault("partner", {}).update(
            partner_id=partner["id"],
            tenant_id=tenant_id,
            blueprint_id=blueprint["id"],
            project_id=project["id"],
        )
        if not fresh:
            return
        _golden_cases(c, blueprint["id"])
        seen = {p.name for p in Path(ctx.mail_dir).glob("*.eml")} if ctx.mail_dir else set()
        for to, role in ((LEAD, "PARTNER_LEAD"), (ENGINEER, "PARTNER_ENGINEER")):
            invite = {
                "email": to,
                "tenant_id": tenant_id,
                "roles": [role],
                "space": "DEVELOPER",
                "login": "magic_link",
            }
            _check(c.post(f"{ID}/invites", json=invite), 201)
        ctx.logins.append(("Northwind ERP lead (magic link)", LEAD, SLUG, "DEVELOPER"))
        ctx.logins.append(("Northwind ERP engineer (magic link)", ENGINEER, SLUG, "DEVELOPER"))
        link = _magic_link(Path(ctx.mail_dir), LEAD, seen) if ctx.mail_dir else None
        if link is None:
            return
        signed = _check(
            httpx.post(f"{gw}{ID}/auth/magic-link/{link}", json={"email": LEAD}, timeout=30), 200
        )
    _partner_steps(ctx, gw, signed["access_token"], project["id"])


def _partner_steps(ctx: SeedContext, gw: str, token: str, project_id: str) -> None:
    """As the partner's lead: a variant with a breaking change, its diff, evidence."""
    base = f"{PT}/projects/{project_id}"
    with httpx.Client(base_url=gw, timeout=120, headers={"Authorization": f"Bearer {token}"}) as p:
        [copy_] = _check(p.get(f"{base}/specs", params={"status": "accepted"}), 200)["items"]
        doc = _check(p.get(f"{base}/specs/{copy_['id']}/document"), 200)
        variant = _check(
            p.post(
                f"{base}/specs",
                json=_variant(doc),
                params={"note": "Our ERP does not read single orders"},
            ),
            201,
        )
        _check(p.get(f"{base}/diff", params={"base": copy_["id"], "head": variant["id"]}), 200)
        criteria = ctx.data.get("partner", {}).get("criteria") or []
        if criteria:
            _check(
                p.post(
                    f"{base}/criteria/{criteria[1]}/evidence",
                    json={
                        "kind": "link",
                        "title": "Webhook verification log",
                        "url": "https://erp.northwind.example/logs/webhooks",
                    },
                ),
                201,
            )
        ctx.data["partner"].update(variant_id=variant["id"], blueprint_copy_id=copy_["id"])
        run = _golden_run(p, ctx.service_urls["partner"], project_id, copy_["id"])
        if run is not None and criteria:
            _check(
                p.post(
                    f"{base}/criteria/{criteria[0]}/evidence",
                    json={"kind": "run", "title": "Golden run against our mock", "run_id": run},
                ),
                201,
            )
        ctx.data["partner"]["run_id"] = run


# Paco's golden suite over Weft's own API: reads a partner's ERP makes every day
GOLDEN = [
    {"name": "list plants", "steps": [{"method": "GET", "path": "/v1/production/plants"}]},
    {"name": "list lots", "steps": [{"method": "GET", "path": "/v1/production/lots"}]},
    {
        "name": "list customer orders",
        "steps": [{"method": "GET", "path": "/v1/production/orders", "query": {"limit": 5}}],
    },
]


def _golden_cases(c: httpx.Client, blueprint_id: str) -> None:
    for case in GOLDEN:
        _check(c.post(f"{PT}/projects/{blueprint_id}/golden-cases", json=case), 201)


def _golden_run(
    p: httpx.Client, service_url: str, project_id: str, spec_id: str, wait: float = 180
) -> str | None:
    """As the partner: a mock of its copy of the blueprint, a golden run against it (the run
    authenticates to the mock with its own credential). The run's id once it passed."""
    base = f"{PT}/projects/{project_id}"
    # Starting a mock checks the whole spec (openapi-core): for Weft's own, longer than the
    # gateway waits on a loaded machine, so the seed asks the partner service straight
    mock = _check(
        httpx.post(
            f"{service_url}/projects/{project_id}/mocks",
            json={"spec_version_id": spec_id},
            headers={"Authorization": str(p.headers["Authorization"])},
            timeout=300,
        ),
        201,
    )
    target = _check(
        p.post(
            f"{base}/targets",
            json={"kind": "mock", "name": "Weft API mock", "mock_id": mock["id"]},
        ),
        201,
    )
    run = _check(
        p.post(f"{base}/runs", json={"target_id": target["id"], "property_examples": 0}), 202
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        got = _check(p.get(f"{PT}/runs/{run['id']}"), 200)
        if got["status"] == "passed":
            return str(run["id"])
        if got["status"] in ("failed", "errored"):
            break
        time.sleep(0.5)
    print(f"partner demo: the golden run {run['id']} did not pass", file=sys.stderr)
    return None
