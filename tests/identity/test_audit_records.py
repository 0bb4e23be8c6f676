"""Identity's requests have their one audit record too (libs.common.audit), and the record
names identity's own security events of the request (`details.actions`, the same
`request_id` as in `GET /audit-events`)."""

from __future__ import annotations

import uuid

import httpx

from tests.fixtures.users import Tokens


async def test_a_role_created_is_one_record_naming_the_action(
    identity: httpx.AsyncClient, tokens: Tokens
) -> None:
    rid = f"audit-role-{uuid.uuid4().hex[:8]}"
    name = f"AUDITED_{uuid.uuid4().hex[:6].upper()}"
    r = await identity.post(
        "/roles",
        json={"name": name, "space": "PROVIDER", "permissions": ["orders:read"]},
        headers=tokens.headers("admin", **{"X-Request-Id": rid}),
    )
    assert r.status_code == 201, r.text
    listed = await identity.get(
        "/audit-records", params={"request_id": rid}, headers=tokens.headers("admin")
    )
    assert listed.status_code == 200, listed.text
    (record,) = listed.json()["items"]
    assert (record["method"], record["route"], record["outcome"]) == ("POST", "/roles", "success")
    assert record["details"]["actions"] == ["role.created"]
    assert f"roles/{r.json()['id']}" in record["touched"]
    events = await identity.get(
        "/audit-events", params={"action": "role.created"}, headers=tokens.headers("admin")
    )
    assert rid in [e["request_id"] for e in events.json()["items"]]


async def test_an_ops_manager_without_audit_read_is_denied_and_that_is_recorded(
    identity: httpx.AsyncClient, tokens: Tokens
) -> None:
    rid = f"audit-deny-{uuid.uuid4().hex[:8]}"
    r = await identity.get("/audit-records", headers=tokens.headers("ops", **{"X-Request-Id": rid}))
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    listed = await identity.get(
        "/audit-records", params={"request_id": rid}, headers=tokens.headers("admin")
    )
    (record,) = listed.json()["items"]
    assert (record["outcome"], record["code"], record["route"]) == (
        "denied",
        "missing_permission",
        "/audit-records",
    )
