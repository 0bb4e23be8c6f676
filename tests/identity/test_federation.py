"""Federation on one running identity (the stack's): the test plays the peer instance,
holding its own Ed25519 key and signing its requests with the kit, as a peer Weft does.

What a provider registers (a peer's key, the local roles it acts with), what the receiver
refuses (unsigned, tampered, old, replayed, unknown key), and that a remote role claim
grants nothing: only the local roles the provider mapped decide."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from libs.common.federation import FederationKey, sign_request
from tests.identity.conftest import unique
from tools.stack import Stack

INBOUND = "/federation/inbound"


async def _register(
    identity: httpx.AsyncClient,
    admin: dict[str, str],
    key: FederationKey,
    roles: list[str],
    **extra: Any,
) -> dict[str, Any]:
    resp = await identity.post(
        "/federation/peers",
        headers=admin,
        json={
            "name": unique("portal"),
            "base_url": "http://127.0.0.1:9/v1/identity",
            "public_key": key.public_pem,
            "roles": roles,
            **extra,
        },
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def _link_role(identity: httpx.AsyncClient, admin: dict[str, str]) -> str:
    name = f"PORTAL_{uuid.uuid4().hex[:8].upper()}"
    resp = await identity.post(
        "/roles",
        headers=admin,
        json={"name": name, "space": "PROVIDER", "permissions": ["federation:link"]},
    )
    assert resp.status_code == 201, resp.text
    return name


def _signed(
    stack: Stack, key: FederationKey, path: str, payload: Any, **kw: Any
) -> tuple[str, bytes, dict[str, str]]:
    url = stack.service_url("identity") + path
    body = orjson.dumps(payload)
    return (
        url,
        body,
        {"content-type": "application/json", **sign_request(key, "POST", url, body, **kw)},
    )


async def _send(
    identity: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await identity.post(url, content=body, headers=headers)


def _code(resp: httpx.Response) -> str:
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.text
    return str(resp.json()["code"])


async def test_a_registered_peer_is_its_local_roles_and_its_claims_grant_nothing(
    stack: Stack, identity: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    key = FederationKey.generate()
    peer = await _register(identity, paco_admin, key, roles=[])
    assert peer["key_id"] == key.key_id

    # a signed ping that claims every role: the answer is what local policy grants (nothing)
    claim = {"message": "hi", "roles": ["ADMIN"], "permissions": ["*:*"], "space": "PROVIDER"}
    resp = await _send(identity, *_signed(stack, key, f"{INBOUND}/ping", claim))
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["peer_id"] == peer["id"] and got["subject"] == f"peer:{peer['id']}"
    assert got["roles"] == [] and got["permissions"] == []

    # ... and linking a tenant needs federation:link, which no claim can give
    link = {"tenant_id": str(uuid.uuid4()), "name": "Brand", "roles": ["ADMIN"]}
    resp = await _send(identity, *_signed(stack, key, f"{INBOUND}/links", link))
    assert resp.status_code == 403 and _code(resp) == "missing_permission"

    # a peer the provider mapped to a local role holding federation:link may link
    role = await _link_role(identity, paco_admin)
    key2 = FederationKey.generate()
    peer2 = await _register(identity, paco_admin, key2, roles=[role])
    resp = await _send(identity, *_signed(stack, key2, f"{INBOUND}/links", link))
    assert resp.status_code == 200, resp.text
    made = resp.json()
    assert made["status"] == "linked" and made["tenant_ref"] == link["tenant_id"]
    # idempotent: announcing the same tenant again answers the same link
    again = await _send(identity, *_signed(stack, key2, f"{INBOUND}/links", link))
    assert again.status_code == 200 and again.json()["link_id"] == made["link_id"]

    # the provider sees the inbound link, and the audit names the peer
    resp = await identity.get(f"/federation/links/{made['link_id']}", headers=paco_admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["direction"] == "inbound" and resp.json()["peer_id"] == peer2["id"]
    resp = await identity.get(
        "/audit-events", headers=paco_admin, params={"action": "federation.link_received"}
    )
    assert resp.status_code == 200, resp.text
    actors = {e["actor"] for e in resp.json()["items"]}
    assert f"peer:{peer2['id']}" in actors and f"peer:{peer['id']}" not in actors


async def test_the_receiver_refuses_what_is_not_a_fresh_signed_request(
    stack: Stack, identity: httpx.AsyncClient, paco_admin: dict[str, str]
) -> None:
    key = FederationKey.generate()
    await _register(identity, paco_admin, key, roles=[])
    path = f"{INBOUND}/ping"

    # unsigned
    resp = await identity.post(path, json={"message": "hi"})
    assert resp.status_code == 401 and _code(resp) == "signature_missing"

    # tampered body: signed one body, sent another
    url, body, headers = _signed(stack, key, path, {"message": "hi"})
    resp = await _send(identity, url, body.replace(b"hi", b"yo"), headers)
    assert resp.status_code == 401 and _code(resp) == "digest_mismatch"

    # old timestamp: beyond the 60 s skew
    old = datetime.now(UTC) - timedelta(seconds=120)
    resp = await _send(identity, *_signed(stack, key, path, {"message": "hi"}, created=old))
    assert resp.status_code == 401 and _code(resp) == "signature_expired"

    # replayed nonce: the same signed request twice
    signed = _signed(stack, key, path, {"message": "hi"})
    first = await _send(identity, *signed)
    assert first.status_code == 200, first.text
    replay = await _send(identity, *signed)
    assert replay.status_code == 401 and _code(replay) == "nonce_replayed"

    # unknown key: a well-formed signature by a key nobody registered here
    stranger = FederationKey.generate()
    resp = await _send(identity, *_signed(stack, stranger, path, {"message": "hi"}))
    assert resp.status_code == 401 and _code(resp) == "unknown_signing_key"

    # signed for another route than the one it is sent to
    url, body, headers = _signed(stack, key, f"{INBOUND}/links", {"message": "hi"})
    resp = await _send(identity, url.replace("/links", "/ping"), body, headers)
    assert resp.status_code == 401 and _code(resp) == "signature_invalid"


async def test_peer_registration_rules(
    identity: httpx.AsyncClient, paco_admin: dict[str, str], operator_admin: dict[str, str]
) -> None:
    key = FederationKey.generate()
    peer = await _register(identity, paco_admin, key, roles=[])
    base = {"name": "x", "base_url": "http://127.0.0.1:9/v1/identity"}
    # the same key twice
    resp = await identity.post(
        "/federation/peers",
        headers=paco_admin,
        json={**base, "public_key": key.public_pem},
    )
    assert resp.status_code == 409 and _code(resp) == "federation_peer_key_taken"
    # not a key; a role the tenant does not have
    resp = await identity.post(
        "/federation/peers", headers=paco_admin, json={**base, "public_key": "x" * 60}
    )
    assert resp.status_code == 422 and _code(resp) == "invalid_peer_key"
    resp = await identity.post(
        "/federation/peers",
        headers=paco_admin,
        json={**base, "public_key": FederationKey.generate().public_pem, "roles": ["NOPE"]},
    )
    assert resp.status_code == 422 and _code(resp) == "unknown_role"
    # another tenant does not see it
    resp = await identity.get(f"/federation/peers/{peer['id']}", headers=operator_admin)
    assert resp.status_code == 404 and _code(resp) == "federation_peer_not_found"
    # this instance's key, for the peer to register
    resp = await identity.get("/federation/instance", headers=paco_admin)
    assert resp.status_code == 200, resp.text
    assert resp.json()["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    # removed: its signed requests are refused
    resp = await identity.delete(f"/federation/peers/{peer['id']}", headers=paco_admin)
    assert resp.status_code == 204
    url = identity.base_url.join(f"{INBOUND}/ping")
    body = b"{}"
    headers = {"content-type": "application/json", **sign_request(key, "POST", str(url), body)}
    resp = await identity.post(f"{INBOUND}/ping", content=body, headers=headers)
    assert resp.status_code == 401 and _code(resp) == "unknown_signing_key"
