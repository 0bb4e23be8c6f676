"""Partners and projects, owner side: registration, the tenant check, who reads what."""

from __future__ import annotations

import uuid

import httpx

from tests.fixtures.users import Tokens
from tests.partner.conftest import PT, Factory, ok, problem
from tools.seed import SeedContext


async def test_owner_registers_a_partner_and_links_a_project_to_its_blueprint(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    partner = await factory.partner()
    assert partner["category"] == "erp_vendor" and partner["status"] == "active"
    blueprint = await factory.blueprint()
    assert blueprint["customer_tenant_id"] is None
    project = await factory.project(partner, blueprint)
    assert project["customer_tenant_id"] == partner["customer_tenant_id"]
    assert project["blueprint_id"] == blueprint["id"]

    got = ok(await gw.get(f"{PT}/projects/{project['id']}", headers=tokens.h("admin")))
    assert got["id"] == project["id"]
    listed = ok(
        await gw.get(
            f"{PT}/projects", params={"partner_id": partner["id"]}, headers=tokens.h("viewer")
        )
    )
    assert [p["id"] for p in listed["items"]] == [project["id"]]


async def test_registering_twice_or_a_tenant_not_yours_is_refused(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory, seed: SeedContext
) -> None:
    partner = await factory.partner()
    again = {"name": "Again", "tenant_id": partner["customer_tenant_id"]}
    problem(
        await gw.post(f"{PT}/partners", headers=tokens.h("admin"), json=again),
        409,
        "partner_exists",
    )
    # Paco itself is no client tenant of Paco; a random id is nobody's
    for tenant_id in (seed.data["tenants"]["paco"], str(uuid.uuid4())):
        body = {"name": "Nope", "tenant_id": tenant_id}
        problem(
            await gw.post(f"{PT}/partners", headers=tokens.h("admin"), json=body),
            422,
            "unknown_client_tenant",
        )


async def test_a_partner_project_needs_a_blueprint_of_the_owner(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    partner = await factory.partner()
    first = await factory.project(partner, await factory.blueprint())
    body = {"name": "x", "blueprint_id": first["id"]}
    problem(
        await gw.post(
            f"{PT}/partners/{partner['id']}/projects", headers=tokens.h("admin"), json=body
        ),
        422,
        "not_a_blueprint",
    )


async def test_readers_cannot_write_and_other_tenants_see_nothing(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    partner = await factory.partner()
    project = await factory.project(partner, await factory.blueprint())
    body = {"name": "viewer's"}
    problem(
        await gw.post(f"{PT}/projects", headers=tokens.h("viewer"), json=body),
        403,
        "missing_permission",
    )
    # another provider tenant (the platform operator) sees none of Paco's records
    for path in (f"/projects/{project['id']}", f"/partners/{partner['id']}"):
        resp = await gw.get(f"{PT}{path}", headers=tokens.h("operator"))
        assert resp.status_code == 404, resp.text
    listed = ok(await gw.get(f"{PT}/projects", headers=tokens.h("operator")))
    assert project["id"] not in {p["id"] for p in listed["items"]}
    # a brand customer's CLIENT token is not let in at all
    resp = await gw.get(f"{PT}/projects", headers=tokens.h("lbx"))
    assert resp.status_code == 403, resp.text
