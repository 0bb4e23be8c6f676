"""The gateway of the real stack (tests/conftest.py): real identity tokens, real services.

Tokens with valid signatures but wrong claims are signed with identity's own current key,
read from identity.signing_keys and decrypted with the stack's key-encryption key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.fernet import Fernet
from jose import jwt
from openapi_spec_validator import validate

from tests.gateway.test_proxy import assert_problem
from tools.seed import DEMO_PASSWORD, SeedContext
from tools.seed.identity import login
from tools.services import implemented
from tools.stack import Stack

pytestmark = pytest.mark.e2e

SERVICES = {s.name for s in implemented()}


@pytest.fixture(scope="session")
def admin_token(seed: SeedContext) -> str:
    return login(seed, "admin@paco.example", "paco")


@pytest.fixture(scope="session")
async def identity_signer(stack: Stack) -> Callable[..., str]:
    """Signs tokens with identity's real current key (claims overridable)."""
    conn = await asyncpg.connect(stack.admin_dsn())
    try:
        row = await conn.fetchrow(
            "SELECT kid, private_key_encrypted FROM identity.signing_keys WHERE status = 'current'"
        )
    finally:
        await conn.close()
    assert row is not None
    pem = Fernet(stack.secrets["identity_key_encryption_key"].encode()).decrypt(
        row["private_key_encrypted"].encode()
    )

    def make(**overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "https://identity.weft.local",
            "aud": "weft",
            "sub": str(uuid.uuid4()),
            "tid": str(uuid.uuid4()),
            "space": "PROVIDER",
            "roles": ["ADMIN"],
            "perms": ["*:*"],
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        return jwt.encode(claims, pem.decode(), algorithm="ES256", headers={"kid": row["kid"]})

    return make


async def test_gateway_is_healthy(stack: Stack, gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/healthz")).status_code == 200
    assert "gateway" in stack.procs


async def test_merged_openapi_of_the_running_services(gateway: httpx.AsyncClient) -> None:
    resp = await gateway.get("/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    validate(doc)
    assert {t["name"] for t in doc["tags"]} == SERVICES
    assert "/v1/identity/auth/login" in doc["paths"]
    assert doc["paths"]["/v1/identity/auth/login"]["post"]["security"] == []
    assert doc["paths"]["/v1/identity/me"]["get"]["operationId"]
    assert not any("/internal/" in p for p in doc["paths"])


async def test_login_and_read_through_the_gateway(
    gateway: httpx.AsyncClient, seed: SeedContext
) -> None:
    resp = await gateway.post(
        "/v1/identity/auth/login",
        json={"email": "admin@paco.example", "password": DEMO_PASSWORD, "tenant": "paco"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["ratelimit-policy"].startswith('"ip";')
    token = resp.json()["access_token"]
    tid = seed.data["tenants"]["paco"]
    rid = f"e2e-{uuid.uuid4().hex}"
    resp = await gateway.get(
        f"/v1/identity/tenants/{tid}",
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": rid},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["id"] == tid
    assert resp.headers["x-request-id"] == rid
    assert resp.headers["etag"]
    assert resp.headers["ratelimit-policy"].startswith('"tenant";')
    assert (await gateway.get("/v1/identity/.well-known/jwks.json")).status_code == 200


async def test_real_tokens_with_bad_claims_are_refused(
    gateway: httpx.AsyncClient, identity_signer: Callable[..., str], admin_token: str
) -> None:
    now = int(time.time())
    cases = {
        "wrong issuer": (identity_signer(iss="https://evil.example"), "invalid_token"),
        "wrong audience": (identity_signer(aud="other"), "invalid_token"),
        "expired": (identity_signer(exp=now - 600, iat=now - 900, nbf=now - 900), "token_expired"),
        "not yet valid": (identity_signer(nbf=now + 600), "invalid_token"),
        "tampered": (
            admin_token[:-4] + ("AAAA" if admin_token[-4:] != "AAAA" else "BBBB"),
            "invalid_token",
        ),
    }
    for name, (token, code) in cases.items():
        resp = await gateway.get("/v1/identity/me", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401, name
        assert_problem(resp, 401, code)
    # the real key with good claims passes the gateway (identity then decides)
    resp = await gateway.get("/v1/identity/me", headers={"Authorization": f"Bearer {admin_token}"})
    assert resp.status_code == 200


async def test_space_enforced_on_real_service(
    gateway: httpx.AsyncClient, identity_signer: Callable[..., str]
) -> None:
    # ACCOUNTING is refused by the gateway's route table; DEVELOPER (API clients) passes the
    # gateway for production and is refused by the route itself on a provider-only write.
    accounting = identity_signer(space="ACCOUNTING")
    resp = await gateway.get(
        "/v1/production/orders", headers={"Authorization": f"Bearer {accounting}"}
    )
    assert_problem(resp, 403, "wrong_space")
    developer = identity_signer(space="DEVELOPER")
    resp = await gateway.post(
        "/v1/production/plants",
        headers={"Authorization": f"Bearer {developer}"},
        json={"code": "DEV-1", "name": "not allowed"},
    )
    assert_problem(resp, 403, "wrong_space")


async def test_unknown_service_and_internal(gateway: httpx.AsyncClient, admin_token: str) -> None:
    auth = {"Authorization": f"Bearer {admin_token}"}
    assert_problem(await gateway.get("/v1/nothing/here", headers=auth), 404, "unknown_service")
    for service in SERVICES:
        resp = await gateway.post(f"/v1/{service}/internal/events", headers=auth, json={})
        assert_problem(resp, 404, "not_found")
