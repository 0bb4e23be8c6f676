"""Audit through the real stack: the gateway's own refusals (a wrong space, a rate limit)
reach the service's audit records in a signed batch; a refusal the service makes, and a
write, are one record each; a successful read none. A tenant admin lists them through the
gateway (`GET /v1/production/audit-records`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.users import Tokens
from tests.gateway.fakes import GatewayProcess, start_gateway
from tests.gateway.test_stack import identity_signer
from tools.stack import Stack

pytestmark = pytest.mark.e2e

__all__ = ["identity_signer"]

Signer = Callable[..., str]


@pytest.fixture(scope="module")
async def gw_throttled(stack: Stack, log_dir: Path) -> AsyncIterator[GatewayProcess]:
    """A second gateway in front of the real services, allowing 2 requests a tenant."""
    env = {k: v for k, v in stack.gateway_env().items() if k != "WEFT_GATEWAY_PORT"}
    env.update(
        {
            "WEFT_GATEWAY_ENVIRONMENT": "test",
            "WEFT_GATEWAY_RATE_LIMIT_TENANT": "2",
            "WEFT_GATEWAY_RATE_LIMIT_WINDOW_SECONDS": "600",
            "WEFT_GATEWAY_AUDIT_FLUSH_SECONDS": "0.2",
        }
    )
    proc = await start_gateway(env, log_dir)
    yield proc
    proc.stop()


def _h(token: str, rid: str | None = None) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}"}
    if rid:
        out["X-Request-Id"] = rid
    return out


async def _records(
    gateway: str, token: str, *, want: int, wait_seconds: float = 15.0, **params: str
) -> list[dict[str, Any]]:
    """The tenant's production records matching `params`, once there are `want` of them
    (the gateway's arrive in batches)."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as c:
        while True:
            r = await c.get("/v1/production/audit-records", params=params, headers=_h(token))
            assert r.status_code == 200, r.text
            items: list[dict[str, Any]] = r.json()["items"]
            if len(items) >= want or asyncio.get_running_loop().time() > deadline:
                return items
            await asyncio.sleep(0.2)


async def test_a_wrong_space_refused_by_the_gateway_is_recorded_by_the_service(
    stack: Stack, identity_signer: Signer
) -> None:
    tenant, user = str(uuid.uuid4()), str(uuid.uuid4())
    admin = identity_signer(tid=tenant)
    accountant = identity_signer(
        tid=tenant, sub=user, space="ACCOUNTING", act={"sub": "real-admin"}
    )
    rid = f"audit-ws-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as c:
        r = await c.get("/v1/production/plants", headers=_h(accountant, rid))
    assert r.status_code == 403 and r.json()["code"] == "wrong_space"
    (record,) = await _records(stack.gateway_url, admin, want=1, request_id=rid)
    assert record["outcome"] == "denied" and record["code"] == "wrong_space"
    assert (record["actor"], record["act"], record["space"]) == (
        user,
        {"sub": "real-admin"},
        "ACCOUNTING",
    )
    assert record["path"] == "/v1/production/plants" and record["details"]["by"] == "gateway"
    # the impersonator finds it too
    assert len(await _records(stack.gateway_url, admin, want=1, actor="real-admin")) == 1


async def test_a_throttled_request_is_one_record_and_the_reads_before_it_none(
    stack: Stack, identity_signer: Signer, gw_throttled: GatewayProcess
) -> None:
    tenant = str(uuid.uuid4())
    token = identity_signer(tid=tenant)
    rid = f"audit-429-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=gw_throttled.url, timeout=10) as c:
        for _ in range(2):
            assert (await c.get("/v1/production/plants", headers=_h(token))).status_code == 200
        r = await c.get("/v1/production/plants", headers=_h(token, rid))
    assert r.status_code == 429, r.text
    (record,) = await _records(stack.gateway_url, token, want=1)
    assert (record["request_id"], record["outcome"], record["status"], record["code"]) == (
        rid,
        "throttled",
        429,
        "rate_limited",
    )


async def test_a_write_and_a_denial_by_the_service_are_one_record_each(
    stack: Stack, identity_signer: Signer
) -> None:
    tenant = str(uuid.uuid4())
    admin = identity_signer(tid=tenant)
    weak = identity_signer(tid=tenant, perms=["orders:read"])
    write, denied = f"audit-w-{uuid.uuid4().hex[:8]}", f"audit-d-{uuid.uuid4().hex[:8]}"
    body = {"code": f"P-{uuid.uuid4().hex[:6]}", "name": "Lyon"}
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as c:
        r = await c.post("/v1/production/plants", json=body, headers=_h(admin, write))
        assert r.status_code == 201, r.text
        plant = r.json()["id"]
        assert (await c.get(f"/v1/production/plants/{plant}", headers=_h(admin))).status_code == 200
        r = await c.post("/v1/production/plants", json=body, headers=_h(weak, denied))
        assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    records = await _records(stack.gateway_url, admin, want=2)
    assert [(x["request_id"], x["outcome"]) for x in records] == [
        (denied, "denied"),
        (write, "success"),
    ]
    assert records[1]["route"] == "/v1/production/plants"
    assert f"plants/{plant}" in records[1]["touched"]


async def test_a_brands_admin_lists_its_own_records_and_never_its_providers(
    stack: Stack, tokens: Tokens
) -> None:
    """CLIENT_ADMIN holds audit:read: the brand's refused attempt is in its listing; Paco's
    admin, the brand's provider, does not see it in Paco's, nor the brand Paco's."""
    rid = f"audit-brand-{uuid.uuid4().hex[:8]}"
    brand, paco = tokens["lbx_admin"], tokens["admin"]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as c:
        r = await c.post(
            "/v1/production/plants", json={"code": "X", "name": "X"}, headers=_h(brand, rid)
        )
    assert (r.status_code, r.json()["code"]) == (403, "wrong_space")
    (record,) = await _records(stack.gateway_url, brand, want=1, request_id=rid)
    assert (record["outcome"], record["space"]) == ("denied", "CLIENT")
    assert await _records(stack.gateway_url, paco, want=1, wait_seconds=1, request_id=rid) == []
    paco_rid = f"audit-paco-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as c:
        r = await c.post("/v1/production/plants", json={}, headers=_h(paco, paco_rid))
    assert r.status_code == 422, r.text
    assert len(await _records(stack.gateway_url, paco, want=1, request_id=paco_rid)) == 1
    assert (
        await _records(stack.gateway_url, brand, want=1, wait_seconds=1, request_id=paco_rid) == []
    )
