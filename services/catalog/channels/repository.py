from __future__ import annotations

import uuid

from sqlalchemy import Select, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.models import CatalogDraftItem, CatalogVersion, Channel, ChannelCatalog


def channels_stmt(tenant_id: uuid.UUID, type: str | None) -> Select[Channel]:
    stmt = select(Channel).where(Channel.tenant_id == tenant_id)
    return stmt.where(Channel.type == type) if type else stmt


async def get_channel(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Channel | None:
    return await session.scalar(
        select(Channel).where(Channel.tenant_id == tenant_id, Channel.id == id)
    )


async def find_channel_name(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> Channel | None:
    return await session.scalar(
        select(Channel).where(Channel.tenant_id == tenant_id, Channel.name == name)
    )


def catalogs_stmt(tenant_id: uuid.UUID, channel_id: uuid.UUID) -> Select[ChannelCatalog]:
    return select(ChannelCatalog).where(
        ChannelCatalog.tenant_id == tenant_id, ChannelCatalog.channel_id == channel_id
    )


async def get_catalog(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, *, lock: bool = False
) -> ChannelCatalog | None:
    stmt = select(ChannelCatalog).where(
        ChannelCatalog.tenant_id == tenant_id, ChannelCatalog.id == id
    )
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def find_catalog(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    channel_id: uuid.UUID,
    org_id: uuid.UUID | None,
    publisher_org_id: uuid.UUID | None,
) -> ChannelCatalog | None:
    return await session.scalar(
        select(ChannelCatalog).where(
            ChannelCatalog.tenant_id == tenant_id,
            ChannelCatalog.channel_id == channel_id,
            ChannelCatalog.org_id.is_(None) if org_id is None else ChannelCatalog.org_id == org_id,
            ChannelCatalog.publisher_org_id.is_(None)
            if publisher_org_id is None
            else ChannelCatalog.publisher_org_id == publisher_org_id,
        )
    )


def draft_stmt(tenant_id: uuid.UUID, catalog_id: uuid.UUID) -> Select[CatalogDraftItem]:
    return select(CatalogDraftItem).where(
        CatalogDraftItem.tenant_id == tenant_id, CatalogDraftItem.catalog_id == catalog_id
    )


async def draft_items(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID
) -> list[CatalogDraftItem]:
    return list(await session.scalars(draft_stmt(tenant_id, catalog_id)))


async def get_draft_item(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, item_id: uuid.UUID
) -> CatalogDraftItem | None:
    return await session.scalar(
        draft_stmt(tenant_id, catalog_id).where(CatalogDraftItem.id == item_id)
    )


async def find_draft_item(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    catalog_id: uuid.UUID,
    sku_id: uuid.UUID,
    offering_id: uuid.UUID | None,
) -> CatalogDraftItem | None:
    return await session.scalar(
        draft_stmt(tenant_id, catalog_id).where(
            CatalogDraftItem.sku_id == sku_id,
            CatalogDraftItem.offering_id.is_(None)
            if offering_id is None
            else CatalogDraftItem.offering_id == offering_id,
        )
    )


async def clear_draft(session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID) -> None:
    await session.execute(
        delete(CatalogDraftItem).where(
            CatalogDraftItem.tenant_id == tenant_id, CatalogDraftItem.catalog_id == catalog_id
        )
    )


def versions_stmt(tenant_id: uuid.UUID, catalog_id: uuid.UUID) -> Select[CatalogVersion]:
    return select(CatalogVersion).where(
        CatalogVersion.tenant_id == tenant_id, CatalogVersion.catalog_id == catalog_id
    )


async def get_version(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, number: int
) -> CatalogVersion | None:
    return await session.scalar(
        versions_stmt(tenant_id, catalog_id).where(CatalogVersion.number == number)
    )


async def published_for(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
) -> list[tuple[ChannelCatalog, CatalogVersion]]:
    """The current published version of every catalog meant for `org_id` or for everyone."""
    stmt = (
        select(ChannelCatalog, CatalogVersion)
        .join(
            CatalogVersion,
            and_(
                CatalogVersion.catalog_id == ChannelCatalog.id,
                CatalogVersion.number == ChannelCatalog.current_version,
            ),
        )
        .where(
            ChannelCatalog.tenant_id == tenant_id,
            CatalogVersion.tenant_id == tenant_id,
            or_(ChannelCatalog.org_id.is_(None), ChannelCatalog.org_id == org_id)
            if org_id is not None
            else ChannelCatalog.org_id.is_(None),
        )
    )
    if channel_id is not None:
        stmt = stmt.where(ChannelCatalog.channel_id == channel_id)
    return [(c, v) for c, v in (await session.execute(stmt)).all()]


async def published_all(
    session: AsyncSession, tenant_id: uuid.UUID, channel_id: uuid.UUID | None
) -> list[tuple[ChannelCatalog, CatalogVersion]]:
    """The current published version of every catalog of the tenant."""
    stmt = (
        select(ChannelCatalog, CatalogVersion)
        .join(
            CatalogVersion,
            and_(
                CatalogVersion.catalog_id == ChannelCatalog.id,
                CatalogVersion.number == ChannelCatalog.current_version,
            ),
        )
        .where(ChannelCatalog.tenant_id == tenant_id, CatalogVersion.tenant_id == tenant_id)
    )
    if channel_id is not None:
        stmt = stmt.where(ChannelCatalog.channel_id == channel_id)
    return [(c, v) for c, v in (await session.execute(stmt)).all()]
