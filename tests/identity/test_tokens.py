"""Token checks at an identity endpoint, JWKS rotation, and RLS on its own."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import asyncpg
import httpx
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jwt

from tests.fixtures.users import forget_tokens
from tests.identity.conftest import bearer, login, token_for
from tools.seed import SeedContext
from tools.stack import Stack


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _current_private_key(stack: Stack) -> tuple[str, str]:
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        row = await conn.fetchrow(
            "SELECT kid, private_key_encrypted FROM identity.signing_keys WHERE status = 'current'"
        )
    finally:
        await conn.close()
    f = Fernet(stack.secrets["identity_key_encryption_key"].encode())
    return row["kid"], f.decrypt(row["private_key_encrypted"].encode()).decode()


async def test_token_rejections_at_me(
    identity: httpx.AsyncClient, stack: Stack, seed: SeedContext
) -> None:
    good = await token_for(identity, "viewer@paco.example", "paco")
    assert (await identity.get("/me", headers=bearer(good))).status_code == 200
    claims: dict[str, Any] = jwt.get_unverified_claims(good)
    kid, pem = await _current_private_key(stack)
    now = int(time.time())

    def signed(
        extra: dict[str, Any], *, key: str = pem, headers: dict[str, Any] | None = None
    ) -> str:
        return jwt.encode(
            {**claims, "jti": uuid.uuid4().hex, **extra},
            key,
            algorithm="ES256",
            headers=headers or {"kid": kid},
        )

    # sanity: our crafted token with the real key passes
    assert (await identity.get("/me", headers=bearer(signed({})))).status_code == 200

    foreign = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    public_pem = jwk.construct(pem, "ES256").public_key().to_pem().decode()
    header_none = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    payload = _b64(json.dumps({**claims, "jti": uuid.uuid4().hex}).encode())
    hs_header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    hs_sig = _b64(
        hmac.new(public_pem.encode(), f"{hs_header}.{payload}".encode(), hashlib.sha256).digest()
    )

    cases = {
        "expired": signed({"exp": now - 600, "iat": now - 1200, "nbf": now - 1200}),
        "nbf_future": signed({"nbf": now + 600, "iat": now}),
        "bad_signature": signed({}, key=foreign),
        "alg_none": f"{header_none}.{payload}.",
        "hs256_with_public_key": f"{hs_header}.{payload}.{hs_sig}",
        "unknown_kid": signed({}, headers={"kid": "no-such-key"}),
        "wrong_iss": signed({"iss": "https://evil.example"}),
        "wrong_aud": signed({"aud": "not-weft"}),
        "garbage": "not.a.jwt",
    }
    for name, token in cases.items():
        resp = await identity.get("/me", headers=bearer(token))
        assert resp.status_code == 401, (name, resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json"), name
    resp = await identity.get("/me")
    assert resp.status_code == 401
    assert resp.json()["code"] == "missing_token"


async def test_jwks_rotation_keeps_previous_and_drops_older(
    identity: httpx.AsyncClient,
    operator_admin: dict[str, str],
    paco_admin: dict[str, str],
    seed: SeedContext,
) -> None:
    before = (await identity.get("/.well-known/jwks.json")).json()["keys"]
    old_token = await token_for(identity, "ceo@paco.example", "paco")
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    assert old_kid in {k["kid"] for k in before}
    assert all(k["kty"] == "EC" and k["crv"] == "P-256" and "d" not in k for k in before)

    # only the operator's admin rotates
    assert (await identity.post("/admin/keys/rotate", headers=paco_admin)).status_code == 403

    resp = await identity.post("/admin/keys/rotate", headers=operator_admin)
    assert resp.status_code == 200, resp.text
    kid1 = resp.json()["kid"]
    keys = {k["kid"] for k in (await identity.get("/.well-known/jwks.json")).json()["keys"]}
    assert keys == {kid1, old_kid}
    # the old token still verifies; new tokens carry the new kid
    assert (await identity.get("/me", headers=bearer(old_token))).status_code == 200
    new_token = await token_for(identity, "ceo@paco.example", "paco")
    assert jwt.get_unverified_header(new_token)["kid"] == kid1

    resp = await identity.post("/admin/keys/rotate", headers=operator_admin)
    kid2 = resp.json()["kid"]
    keys = {k["kid"] for k in (await identity.get("/.well-known/jwks.json")).json()["keys"]}
    assert keys == {kid2, kid1}
    # a token of the rotated-out key is refused; the previous key's token still works
    resp = await identity.get("/me", headers=bearer(old_token))
    assert resp.status_code == 401
    assert (await identity.get("/me", headers=bearer(new_token))).status_code == 200
    # other services refetch JWKS at most every 5 s on an unknown kid: let them catch up
    await asyncio.sleep(5.5)
    # tokens other tests cached before the rotations were signed with a dropped key
    forget_tokens()


async def test_rls_hides_other_tenants_rows(stack: Stack, seed: SeedContext) -> None:
    tenants = seed.data["tenants"]
    lux, maison, paco = (uuid.UUID(tenants[s]) for s in ("luxury-brand-x", "maison-y", "paco"))
    conn = await asyncpg.connect(stack.service_dsn("identity", driver="postgresql"))
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('weft.tenant_id', $1, true)", str(lux))
            seen = {r["tenant_id"] for r in await conn.fetch("SELECT * FROM identity.users")}
            assert seen == {lux}
            roles = {
                r["tenant_id"] for r in await conn.fetch("SELECT tenant_id FROM identity.roles")
            }
            assert roles == {lux}
            visible_tenants = {r["id"] for r in await conn.fetch("SELECT id FROM identity.tenants")}
            assert visible_tenants == {lux}
        async with conn.transaction():
            # a provider sees its own and its client tenants' users, nothing of its parent
            await conn.execute("SELECT set_config('weft.tenant_id', $1, true)", str(paco))
            seen = {
                r["tenant_id"] for r in await conn.fetch("SELECT tenant_id FROM identity.users")
            }
            assert {paco, lux, maison} <= seen
            assert uuid.UUID(tenants["pack-polish"]) not in seen
        async with conn.transaction():
            # no tenant set: nothing at all
            assert await conn.fetch("SELECT * FROM identity.users") == []
        async with conn.transaction():
            await conn.execute("SELECT set_config('weft.tenant_id', $1, true)", str(maison))
            try:
                await conn.execute(
                    "INSERT INTO identity.users (id, tenant_id, email, name, status, "
                    "must_change_password, version) VALUES ($1, $2, 'x@y.z', 'X', 'active', false, 1)",
                    uuid.uuid4(),
                    lux,
                )
                raise AssertionError("RLS let a write into another tenant through")
            except asyncpg.InsufficientPrivilegeError:
                pass
    finally:
        await conn.close()


async def test_viewer_login_picks_its_only_space(
    identity: httpx.AsyncClient, seed: SeedContext
) -> None:
    tokens = await login(identity, "viewer@maisony.example", "maison-y")
    claims = jwt.get_unverified_claims(tokens["access_token"])
    assert claims["space"] == "CLIENT"
    assert claims["tid"] == seed.data["tenants"]["maison-y"]
    assert claims["ptid"] == seed.data["tenants"]["paco"]
    assert claims["aud"] == "weft" and claims["roles"] == ["CLIENT_VIEWER"]
    assert 600 <= claims["exp"] - claims["iat"] <= 900
    assert {"iss", "sub", "exp", "iat", "nbf", "jti", "perms", "act", "elev"} <= set(claims)
