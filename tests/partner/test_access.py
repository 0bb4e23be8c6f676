"""Who reads and writes what: a partner sees only its own projects through every route; the
owner's integration manager observes without changing anything."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.fixtures.users import Tokens
from tests.partner.conftest import ID, PT, Factory, ok, problem
from tests.partner.specs import base_spec, without_path
from tools.seed import DEMO_PASSWORD


async def _spec(gw: httpx.AsyncClient, h: dict[str, str], project_id: str, spec: object) -> dict:
    resp = await gw.post(
        f"{PT}/projects/{project_id}/specs",
        headers={**h, "content-type": "application/json"},
        content=json.dumps(spec),
    )
    return ok(resp, 201)


async def test_a_partner_sees_its_own_projects_only_through_every_route(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    admin = tokens.h("admin")
    blueprint = await factory.blueprint()
    await _spec(gw, admin, blueprint["id"], base_spec())
    mine, theirs = await factory.partner("Mine"), await factory.partner("Theirs")
    project = await factory.project(mine, blueprint)
    other = await factory.project(theirs, blueprint)
    other_spec = ok(await gw.get(f"{PT}/projects/{other['id']}/specs", headers=admin))["items"][0]
    h = await factory.partner_headers(mine)

    listed = ok(await gw.get(f"{PT}/projects", headers=h))
    assert [p["id"] for p in listed["items"]] == [project["id"]]
    assert [p["id"] for p in ok(await gw.get(f"{PT}/partners", headers=h))["items"]] == [mine["id"]]
    # the other partner's project and the owner's blueprint: not found, on every route
    for pid in (other["id"], blueprint["id"]):
        for path in ("", "/specs", "/activity", f"/specs/{other_spec['id']}"):
            resp = await gw.get(f"{PT}/projects/{pid}{path}", headers=h)
            assert resp.status_code == 404, (path, resp.text)
        resp = await gw.get(
            f"{PT}/projects/{pid}/diff",
            params={"base": other_spec["id"], "head": other_spec["id"]},
            headers=h,
        )
        assert resp.status_code == 404, resp.text
        resp = await gw.post(
            f"{PT}/projects/{pid}/specs",
            headers={**h, "content-type": "application/json"},
            content=json.dumps(base_spec()),
        )
        assert resp.status_code == 404, resp.text
    problem(await gw.get(f"{PT}/partners/{theirs['id']}", headers=h), 404, "partner_not_found")
    # a spec version id of another project, under my project: not found either
    resp = await gw.get(f"{PT}/projects/{project['id']}/specs/{other_spec['id']}", headers=h)
    problem(resp, 404, "spec_version_not_found")

    # the partner reads its copy of the blueprint, uploads a variant (pending review),
    # diffs it, and cannot decide on it
    [copy] = ok(await gw.get(f"{PT}/projects/{project['id']}/specs", headers=h))["items"]
    variant = await _spec(gw, h, project["id"], without_path(base_spec(), "/orders"))
    assert (variant["status"], variant["uploaded_side"], variant["number"]) == (
        "pending_review",
        "partner",
        2,
    )
    diff = ok(
        await gw.get(
            f"{PT}/projects/{project['id']}/diff",
            params={"base": copy["id"], "head": variant["id"]},
            headers=h,
        )
    )
    assert diff["report"]["breaking"] >= 1
    decide = f"{PT}/projects/{project['id']}/specs/{variant['id']}"
    problem(await gw.post(f"{decide}/accept", headers=h, json={}), 403, "owner_only")
    got = ok(await gw.post(f"{decide}/reject", headers=admin, json={"comment": "keep /orders"}))
    assert (got["status"], got["review_comment"]) == ("rejected", "keep /orders")
    feed = ok(await gw.get(f"{PT}/projects/{project['id']}/activity", headers=h))
    assert [a["type"] for a in feed["items"]] == ["spec.rejected", "spec.diffed", "spec.uploaded"]
    assert [a["actor_side"] for a in feed["items"]] == ["owner", "partner", "partner"]
    # owner-only writes
    problem(await gw.post(f"{PT}/projects", headers=h, json={"name": "mine"}), 403, "owner_only")
    problem(
        await gw.post(
            f"{PT}/partners/{mine['id']}/projects",
            headers=h,
            json={"name": "x", "blueprint_id": blueprint["id"]},
        ),
        403,
        "owner_only",
    )


async def test_the_integration_manager_observes_and_cannot_write(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    admin = tokens.h("admin")
    email = f"im-{uuid.uuid4().hex[:8]}@paco.example"
    body = {
        "email": email,
        "name": "Integration manager",
        "roles": ["INTEGRATION_MANAGER"],
        "password": DEMO_PASSWORD,
    }
    ok(await gw.post(f"{ID}/users", headers=admin, json=body), 201)
    login = {"email": email, "password": DEMO_PASSWORD, "tenant": "paco", "space": "DEVELOPER"}
    token = ok(await gw.post(f"{ID}/auth/login", json=login))["access_token"]
    h = {"Authorization": f"Bearer {token}"}

    partner = await factory.partner()
    blueprint = await factory.blueprint()
    project = await factory.project(partner, blueprint)
    assert ok(await gw.get(f"{PT}/projects/{project['id']}", headers=h))["id"] == project["id"]
    ok(await gw.get(f"{PT}/projects/{project['id']}/activity", headers=h))
    ok(await gw.get(f"{PT}/partners/{partner['id']}", headers=h))
    refusals = [
        await gw.post(f"{PT}/projects", headers=h, json={"name": "x"}),
        await gw.post(
            f"{PT}/partners/{partner['id']}/projects",
            headers=h,
            json={"name": "x", "blueprint_id": blueprint["id"]},
        ),
        await gw.post(
            f"{PT}/partners", headers=h, json={"name": "x", "tenant_id": str(uuid.uuid4())}
        ),
        await gw.post(
            f"{PT}/projects/{project['id']}/specs",
            headers={**h, "content-type": "application/json"},
            content=json.dumps(base_spec()),
        ),
    ]
    for resp in refusals:
        assert resp.status_code == 403, resp.text
        assert resp.json()["code"] in ("wrong_space", "missing_permission"), resp.text
