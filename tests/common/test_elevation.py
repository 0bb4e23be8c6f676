"""The kit's break-glass check (libs.common.elevation): an elevation's scopes count only
while identity says it is active; when identity cannot say, they grant nothing (and an
impersonation token is refused); masking applies to impersonation tokens only."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from libs.common.auth import Principal, Space
from libs.common.elevation import HttpElevationStatus, impersonator_var, mask
from tests.fixtures.app import ClientFactory
from tests.fixtures.auth import TestKey

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: identity cannot say


@pytest.fixture
async def production(service_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    client = await service_client("production")
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    await app.state.elevations.close()
    app.state.elevations = HttpElevationStatus(UNREACHABLE, ttl=5.0, timeout=1.0)
    yield client


def _elev(scopes: list[str]) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "scopes": scopes, "exp": int(time.time()) + 600}


async def test_an_unconfirmed_elevation_grants_nothing_but_the_base_permissions_hold(
    production: httpx.AsyncClient, test_key: TestKey
) -> None:
    tenant = uuid.uuid4()
    headers = test_key.headers(tenant, perms=["plants:read"], elev=_elev(["mrp:read"]))
    resp = await production.get("/mrp/plan", headers=headers)
    assert resp.status_code == 403 and resp.json()["code"] == "missing_permission"
    assert (await production.get("/plants", headers=headers)).status_code == 200


async def test_an_unconfirmed_impersonation_is_refused(
    production: httpx.AsyncClient, test_key: TestKey
) -> None:
    tenant = uuid.uuid4()
    imp = test_key.headers(
        tenant, perms=["plants:read"], elev=_elev([]), act={"sub": str(uuid.uuid4())}
    )
    resp = await production.get("/plants", headers=imp)
    assert resp.status_code == 503 and resp.json()["code"] == "elevation_unconfirmed"
    assert resp.headers["content-type"] == "application/problem+json"
    # `act` without an elevation is never honoured
    bare = test_key.headers(tenant, perms=["plants:read"], act={"sub": str(uuid.uuid4())})
    resp = await production.get("/plants", headers=bare)
    assert resp.status_code == 401 and resp.json()["code"] == "invalid_token"


async def test_a_plain_token_never_asks_identity(
    production: httpx.AsyncClient, test_key: TestKey
) -> None:
    tenant = uuid.uuid4()
    resp = await production.get("/plants", headers=test_key.headers(tenant, perms=["plants:read"]))
    assert resp.status_code == 200
    source = production._transport.app.state.elevations  # type: ignore[attr-defined]
    assert source._cache == {}


def test_an_elevated_permission_is_a_use_and_masking_is_for_impersonators() -> None:
    principal = Principal(
        subject=str(uuid.uuid4()),
        tenant_id=uuid.uuid4(),
        space=Space.PROVIDER,
        roles=frozenset(),
        permissions=frozenset({"plants:read"}),
        token_id="t",
        expires_at=int(time.time()) + 600,
        elevation=_elev(["mrp:*"]),
        elevation_uses=set(),
    )
    assert principal.has_permission("plants:read") and principal.elevation_uses == set()
    assert principal.has_permission("mrp:read") and principal.elevation_uses == {"mrp:read"}

    assert mask("admin@paco.example") == "admin@paco.example"
    reset = impersonator_var.set("someone")
    try:
        assert mask("admin@paco.example") == "a***@paco.example"
        assert mask("wc_0123456789") == "w***"
    finally:
        impersonator_var.reset(reset)
