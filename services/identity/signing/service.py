"""Signing key rotation (operator only)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.db import Database
from services.identity import keys as signing
from services.identity.audit.service import record
from services.identity.config import Settings
from services.identity.tenants.access import caller_tenant
from services.identity.tenants.errors import NotOperator


async def rotate(
    session: AsyncSession, db: Database, settings: Settings, principal: Principal
) -> str:
    tenant = await caller_tenant(session, principal)
    if tenant.kind != "operator":
        raise NotOperator("Only the platform operator rotates keys")
    # The key table is not tenant-owned: its own (system) transaction.
    async with db.transaction(system=True) as s:
        kid = await signing.rotate(s, settings)
        await record(
            s,
            tenant_id=tenant.id,
            actor=principal.subject,
            action="keys.rotated",
            target=f"key:{kid}",
        )
    return kid
