"""What the contract guards found in catalog: the spec's spaces are the real check, integers
past Postgres' range are 422, answers match the documented schemas, an organisation's client
tenant must be the caller's own client, and statistics refuse a channel that is not ours."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jsonschema
import pytest

from tests.catalog.conftest import Factory, Tokens, ok, problem
from tools.stack import Stack

PREFIX = "/v1/catalog"


@pytest.fixture(scope="module")
def spec(stack: Stack) -> dict[str, Any]:
    """The merged document, as clients download it from the gateway."""
    return ok(httpx.get(f"{stack.gateway_url}/openapi.json", timeout=30))


def catalog_ops(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        if path.startswith(PREFIX + "/")
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def assert_matches(spec: dict[str, Any], path: str, method: str, resp: httpx.Response) -> None:
    """The answer's body against the documented schema of its status (jsonschema)."""
    documented = spec["paths"][path][method]["responses"][str(resp.status_code)]
    schema = documented["content"]["application/json"]["schema"]
    # the whole document is the root, so the schema's #/components/... references resolve
    root = {**spec, **schema}
    jsonschema.validate(resp.json(), root, cls=jsonschema.Draft202012Validator)


async def test_spaces_in_the_spec_are_the_real_check(
    spec: dict[str, Any], cat: httpx.AsyncClient, tokens: Tokens
) -> None:
    ops = catalog_ops(spec)
    spaces = {
        (m, p): set(op.get("x-weft-spaces") or ()) for m, p, op in ops if op.get("security") != []
    }
    # the provider's own routes are documented as such
    assert spaces[("get", f"{PREFIX}/orgs")] == {"PROVIDER"}
    assert spaces[("post", f"{PREFIX}/orgs")] == {"PROVIDER"}
    assert "CLIENT" not in spaces[("get", f"{PREFIX}/products")]
    # the routes a linked client's users read say so
    assert "CLIENT" in spaces[("get", f"{PREFIX}/listings")]
    assert "CLIENT" in spaces[("get", f"{PREFIX}/orgs/me")]
    # every route documented open to CLIENT admits a brand's CLIENT token past the space
    # check; the brand has no catalog organisation, so each answers that, and only that
    kit_routes = {f"{PREFIX}/audit-records"}  # the kit's, in every service: audit:read decides
    open_to_client = [
        p
        for (m, p), s in spaces.items()
        if m == "get" and "CLIENT" in s and "{" not in p and p not in kit_routes
    ]
    assert open_to_client
    r = await cat.get("/audit-records", headers=tokens.headers("lbx"))
    problem(r, 403, "missing_permission")
    for path in open_to_client:
        r = await cat.get(path.removeprefix(PREFIX), headers=tokens.headers("lbx"))
        problem(r, 403, "tenant_not_linked")
    # and one documented closed to it refuses it for that reason
    r = await cat.get("/orgs", headers=tokens.headers("lbx"))
    problem(r, 403, "wrong_space")


async def test_version_numbers_past_the_integer_range_are_422(factory: Factory) -> None:
    channel = await factory.channel("Guards", "dealer")
    catalog = await factory.catalog(channel, None, None)
    c, h = factory.c, factory.h
    r = await c.get(f"/catalogs/{catalog['id']}/versions/26992830989048404", headers=h)
    problem(r, 422, "validation_failed")
    r = await c.get(
        f"/catalogs/{catalog['id']}/diff", headers=h, params={"from": 190522451029, "to": 2459661}
    )
    problem(r, 422, "validation_failed")
    r = await c.get(f"/catalogs/{catalog['id']}/versions/{2**31 - 1}", headers=h)
    problem(r, 404, "catalog_version_not_found")


async def test_org_answers_match_the_documented_schema(
    spec: dict[str, Any], factory: Factory
) -> None:
    created = await factory.c.post("/orgs", headers=factory.h, json={"name": "0", "type": "dealer"})
    assert created.status_code == 201, created.text
    assert_matches(spec, f"{PREFIX}/orgs", "post", created)
    listed = await factory.c.get("/orgs", headers=factory.h, params={"limit": 200})
    assert listed.status_code == 200, listed.text
    assert_matches(spec, f"{PREFIX}/orgs", "get", listed)
    got = await factory.c.get(f"/orgs/{created.json()['id']}", headers=factory.h)
    assert_matches(spec, f"{PREFIX}/orgs/{{org_id}}", "get", got)


async def test_client_tenant_must_be_a_client_of_the_caller(factory: Factory) -> None:
    tenants = factory.seed.data["tenants"]
    c, h = factory.c, factory.h
    # the operator's tenant, the caller's own tenant, an id nobody has: none is Paco's client
    foreign = [tenants["pack-polish"], tenants["paco"], str(uuid.uuid4())]
    for tenant in foreign:
        r = await c.post(
            "/orgs",
            headers=h,
            json={"name": factory.name("Foreign"), "type": "dealer", "client_tenant_id": tenant},
        )
        problem(r, 422, "unknown_client_tenant")
    org = await factory.org("Mine", "dealer")
    r = await c.patch(f"/orgs/{org['id']}", headers=h, json={"client_tenant_id": foreign[0]})
    problem(r, 422, "unknown_client_tenant")
    assert ok(await c.get(f"/orgs/{org['id']}", headers=h))["client_tenant_id"] is None
    # an import naming one is refused on upload, before any row is written
    csv = f"name,type,client_tenant_id\nImp Foreign {factory.tag},dealer,{foreign[0]}\n"
    r = await c.post(
        "/imports",
        headers={**h, "Content-Type": "text/csv"},
        params={"kind": "organisations", "format": "csv"},
        content=csv,
    )
    problem(r, 422, "unknown_client_tenant")
    listed = await factory.get("/orgs", limit=200)
    assert not [o for o in listed["items"] if o["name"] == f"Imp Foreign {factory.tag}"]
    # unlinking is no client tenant to check
    r = await c.patch(f"/orgs/{org['id']}", headers=h, json={"client_tenant_id": None})
    assert ok(r)["client_tenant_id"] is None


async def test_catalog_stats_refuse_a_channel_or_org_not_ours(factory: Factory) -> None:
    r = await factory.c.get(
        "/stats/catalog", headers=factory.h, params={"channel_id": str(uuid.uuid4())}
    )
    problem(r, 404, "channel_not_found")
    r = await factory.c.get(
        "/stats/catalog", headers=factory.h, params={"org_id": str(uuid.uuid4())}
    )
    problem(r, 404, "org_not_found")
