"""The kit's identity client (production and catalog ask identity through it)."""

from __future__ import annotations

import uuid

import pytest

from libs.common.identity import IdentityClient, IdentityUnavailable
from tools.seed import SeedContext
from tools.seed.identity import login
from tools.stack import Stack


async def test_an_unreachable_identity_is_503() -> None:
    client = IdentityClient("http://127.0.0.1:9", timeout=1.0)
    try:
        with pytest.raises(IdentityUnavailable) as refused:
            await client.get_tenant(uuid.uuid4(), "token")
    finally:
        await client.close()
    assert (refused.value.status, refused.value.code) == (503, "identity_unavailable")


async def test_identity_shows_the_caller_what_it_may_see(stack: Stack, seed: SeedContext) -> None:
    tenants = seed.data["tenants"]
    token = login(seed, "admin@paco.example", "paco")
    client = IdentityClient(stack.service_url("identity"))
    try:
        child = await client.get_tenant(uuid.UUID(tenants["luxury-brand-x"]), token)
        assert child is not None and child["parent_id"] == tenants["paco"]
        # another provider's tenant and an unknown id are both simply not shown
        assert await client.get_tenant(uuid.UUID(tenants["pack-polish"]), token) is None
        assert await client.get_tenant(uuid.uuid4(), token) is None
        assert await client.get_user(uuid.uuid4(), token) is None
    finally:
        await client.close()
