"""Every query of federation. Peers and links are tenant-owned (RLS); the key and the
lookup of a peer by its key id are instance-wide (a system session: the signed request
names its key before any tenant is known)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.pagination import PageParams, paginate
from services.identity.models import FederationKey, FederationLink, FederationPeer


async def instance_key(session: AsyncSession) -> FederationKey | None:
    stmt = select(FederationKey).order_by(FederationKey.created_at).limit(1)
    return (await session.scalars(stmt)).first()


async def lock_instance_key(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('identity.federation_key'))"))


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def peer(
    session: AsyncSession, tenant_id: uuid.UUID, id_: uuid.UUID
) -> FederationPeer | None:
    stmt = select(FederationPeer).where(
        FederationPeer.id == id_, FederationPeer.tenant_id == tenant_id
    )
    return (await session.scalars(stmt)).first()


async def peer_by_key(session: AsyncSession, key_id: str) -> FederationPeer | None:
    """Across tenants (system session): who signed a received request."""
    stmt = select(FederationPeer).where(FederationPeer.key_id == key_id)
    return (await session.scalars(stmt)).first()


async def peers_page(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[FederationPeer], str | None]:
    stmt = select(FederationPeer).where(FederationPeer.tenant_id == tenant_id)
    rows, cursor = await paginate(session, stmt, page, keys=[FederationPeer.id])
    return list(rows), cursor


async def linking_peers(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[FederationPeer]:
    stmt = select(FederationPeer).where(
        FederationPeer.tenant_id == tenant_id, FederationPeer.link_tenants.is_(True)
    )
    return (await session.scalars(stmt)).all()


async def delete(session: AsyncSession, row: object) -> None:
    await session.delete(row)
    await session.flush()


async def link(
    session: AsyncSession, tenant_id: uuid.UUID, id_: uuid.UUID
) -> FederationLink | None:
    stmt = select(FederationLink).where(
        FederationLink.id == id_, FederationLink.tenant_id == tenant_id
    )
    return (await session.scalars(stmt)).first()


async def link_for_update(session: AsyncSession, id_: uuid.UUID) -> FederationLink | None:
    stmt = select(FederationLink).where(FederationLink.id == id_).with_for_update()
    return (await session.scalars(stmt)).first()


async def link_by_ref(
    session: AsyncSession, peer_id: uuid.UUID, direction: str, tenant_ref: uuid.UUID
) -> FederationLink | None:
    stmt = select(FederationLink).where(
        FederationLink.peer_id == peer_id,
        FederationLink.direction == direction,
        FederationLink.tenant_ref == tenant_ref,
    )
    return (await session.scalars(stmt)).first()


async def links_page(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams
) -> tuple[list[FederationLink], str | None]:
    stmt = select(FederationLink).where(FederationLink.tenant_id == tenant_id)
    rows, cursor = await paginate(session, stmt, page, keys=[FederationLink.id])
    return list(rows), cursor
