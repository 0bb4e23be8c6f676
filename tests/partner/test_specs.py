"""Spec versions, owner side: uploads (JSON, YAML), refusals with clear 4xx, the list, the
document, and the diff between two versions (event and activity)."""

from __future__ import annotations

import json

import asyncpg
import httpx
import pytest
import yaml

from tests.fixtures.users import Tokens
from tests.partner.conftest import PT, Factory, ok, problem
from tests.partner.specs import base_spec, without_path
from tools.stack import Stack


async def test_owner_uploads_json_and_yaml_and_diffs_them(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory, stack: Stack
) -> None:
    blueprint = await factory.blueprint()
    url = f"{PT}/projects/{blueprint['id']}/specs"
    h = tokens.h("admin", **{"content-type": "application/json"})
    first = ok(await gw.post(url, headers=h, content=json.dumps(base_spec())), 201)
    assert (first["number"], first["status"], first["format"]) == (1, "accepted", "json")
    assert first["operation_count"] == 2 and first["uploaded_side"] == "owner"
    yml = yaml.safe_dump(without_path(base_spec(), "/orders/{order_id}"))
    h = tokens.h("admin", **{"content-type": "application/yaml"})
    second = ok(await gw.post(url, headers=h, content=yml, params={"note": "v2"}), 201)
    assert (second["number"], second["format"], second["note"]) == (2, "yaml", "v2")

    listed = ok(await gw.get(url, headers=tokens.h("viewer")))
    assert [s["number"] for s in listed["items"]] == [2, 1]
    assert "document" not in listed["items"][0]
    doc = await gw.get(f"{url}/{first['id']}/document", headers=tokens.h("viewer"))
    assert doc.status_code == 200 and doc.json() == base_spec()
    doc = await gw.get(
        f"{url}/{second['id']}/document", params={"format": "yaml"}, headers=tokens.h("viewer")
    )
    assert doc.headers["content-type"].startswith("application/yaml")
    assert "/orders/{order_id}" not in yaml.safe_load(doc.text)["paths"]

    diff = ok(
        await gw.get(
            f"{PT}/projects/{blueprint['id']}/diff",
            params={"base": first["id"], "head": second["id"]},
            headers=tokens.h("viewer"),
        )
    )
    assert diff["base"]["number"] == 1 and diff["head"]["number"] == 2
    assert diff["report"]["breaking"] >= 1
    found = [f for f in diff["report"]["findings"] if f["level"] == "breaking"]
    assert any(f["location"]["path"] == "/orders/{order_id}" for f in found), found

    feed = ok(await gw.get(f"{PT}/projects/{blueprint['id']}/activity", headers=tokens.h("viewer")))
    assert [a["type"] for a in feed["items"]] == ["spec.diffed", "spec.uploaded", "spec.uploaded"]
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        types = await conn.fetch(
            "SELECT type, data FROM partner.outbox WHERE data->>'project_id' = $1 ORDER BY id",
            blueprint["id"],
        )
    finally:
        await conn.close()
    assert [r["type"] for r in types] == [
        "partner.spec.uploaded",
        "partner.spec.uploaded",
        "partner.spec.diffed",
    ]
    assert json.loads(types[2]["data"])["breaking"] == diff["report"]["breaking"]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("application/json", b"{not json", 422, "invalid_json"),
        ("application/yaml", b"a: [1\n", 422, "invalid_yaml"),
        ("application/yaml", b"a: &x [1]\nb: *x\n", 422, "yaml_alias"),
        ("application/json", b"[1, 2]", 422, "not_openapi"),
        ("application/json", b'{"swagger": "2.0"}', 422, "unsupported_openapi_version"),
        ("text/plain", b"openapi: 3.1.0", 415, "unsupported_spec_media_type"),
    ],
)
async def test_bad_documents_get_clear_refusals(
    gw: httpx.AsyncClient,
    tokens: Tokens,
    factory: Factory,
    content_type: str,
    body: bytes,
    status: int,
    code: str,
) -> None:
    blueprint = await factory.blueprint()
    resp = await gw.post(
        f"{PT}/projects/{blueprint['id']}/specs",
        headers=tokens.h("admin", **{"content-type": content_type}),
        content=body,
    )
    problem(resp, status, code)


async def test_invalid_openapi_lists_where_and_external_refs_are_refused(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    blueprint = await factory.blueprint()
    url = f"{PT}/projects/{blueprint['id']}/specs"
    h = tokens.h("admin", **{"content-type": "application/json"})
    spec = base_spec("3.0.3")
    del spec["info"]["version"]
    del spec["paths"]["/orders"]["get"]["responses"]
    body = problem(await gw.post(url, headers=h, content=json.dumps(spec)), 422, "invalid_openapi")
    fields = {e["field"] for e in body["errors"]}
    assert {"/info", "/paths/~1orders/get"} <= fields, body
    spec = base_spec()
    spec["paths"]["/orders"]["get"]["responses"]["200"] = {"$ref": "http://169.254.169.254/x"}
    body = problem(await gw.post(url, headers=h, content=json.dumps(spec)), 422, "external_ref")
    assert body["errors"][0]["field"].endswith("/$ref")


async def test_too_large_is_413_and_owner_uploads_need_no_review(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    blueprint = await factory.blueprint()
    url = f"{PT}/projects/{blueprint['id']}/specs"
    h = tokens.h("admin", **{"content-type": "application/json"})
    spec = base_spec()
    spec["info"]["description"] = "x" * (4 * 1024 * 1024 + 10)
    problem(await gw.post(url, headers=h, content=json.dumps(spec)), 413, "spec_too_large")
    got = ok(await gw.post(url, headers=h, content=json.dumps(base_spec())), 201)
    problem(
        await gw.post(f"{url}/{got['id']}/accept", headers=tokens.h("admin"), json={}),
        409,
        "spec_version_not_pending",
    )
    # read-only users cannot upload
    h = tokens.h("viewer", **{"content-type": "application/json"})
    problem(
        await gw.post(url, headers=h, content=json.dumps(base_spec())), 403, "missing_permission"
    )


async def test_a_partner_project_starts_from_the_blueprints_accepted_spec(
    gw: httpx.AsyncClient, tokens: Tokens, factory: Factory
) -> None:
    blueprint = await factory.blueprint()
    h = tokens.h("admin", **{"content-type": "application/json"})
    up = ok(
        await gw.post(
            f"{PT}/projects/{blueprint['id']}/specs", headers=h, content=json.dumps(base_spec())
        ),
        201,
    )
    project = await factory.project(await factory.partner(), blueprint)
    listed = ok(await gw.get(f"{PT}/projects/{project['id']}/specs", headers=tokens.h("admin")))
    [copy] = listed["items"]
    assert (copy["number"], copy["source"], copy["status"]) == (1, "blueprint", "accepted")
    assert copy["based_on_id"] == up["id"] and copy["sha256"] == up["sha256"]
