"""Channels, channel catalogs and their drafts: the rules. Publishing is in publishing.py."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound, Unprocessable
from libs.common.pagination import PageParams, paginate
from services.catalog.channels import repository as repo
from services.catalog.channels.schemas import ChannelCatalogCreate, ChannelCreate, DraftItemCreate
from services.catalog.models import CatalogDraftItem, Channel, ChannelCatalog
from services.catalog.orgs.service import get_org
from services.catalog.products.service import get_offering, get_sku


class ChannelNotFound(NotFound):
    code, title = "channel_not_found", "Channel not found"


class CatalogNotFound(NotFound):
    code, title = "catalog_not_found", "Channel catalog not found"


class DraftItemNotFound(NotFound):
    code, title = "draft_item_not_found", "Draft item not found"


class ChannelExists(Conflict):
    code, title = "channel_exists", "A channel of that name exists"


class CatalogExists(Conflict):
    code, title = "catalog_exists", "That channel catalog exists"


class ItemAlreadyInDraft(Conflict):
    code, title = "item_in_draft", "The item is already in the draft"


class InvalidItem(Unprocessable):
    code, title = "invalid_item", "The item cannot be listed"


async def create_channel(
    session: AsyncSession, tenant_id: uuid.UUID, body: ChannelCreate
) -> Channel:
    if await repo.find_channel_name(session, tenant_id, body.name):
        raise ChannelExists(f"A channel named {body.name} exists")
    channel = Channel(tenant_id=tenant_id, **body.model_dump())
    session.add(channel)
    await session.flush()
    return channel


async def get_channel(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Channel:
    channel = await repo.get_channel(session, tenant_id, id)
    if channel is None:
        raise ChannelNotFound(f"No channel {id}")
    return channel


async def list_channels(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams, type: str | None
) -> tuple[list[Channel], str | None]:
    return await paginate(session, repo.channels_stmt(tenant_id, type), page, keys=[Channel.id])


async def create_catalog(
    session: AsyncSession, tenant_id: uuid.UUID, channel_id: uuid.UUID, body: ChannelCatalogCreate
) -> ChannelCatalog:
    await get_channel(session, tenant_id, channel_id)
    if body.org_id:
        await get_org(session, tenant_id, body.org_id)
    if body.publisher_org_id:
        await get_org(session, tenant_id, body.publisher_org_id)
    if await repo.find_catalog(session, tenant_id, channel_id, body.org_id, body.publisher_org_id):
        raise CatalogExists("This publisher already has a catalog for that org on that channel")
    catalog = ChannelCatalog(tenant_id=tenant_id, channel_id=channel_id, **body.model_dump())
    session.add(catalog)
    await session.flush()
    return catalog


async def get_catalog(
    session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID, *, lock: bool = False
) -> ChannelCatalog:
    catalog = await repo.get_catalog(session, tenant_id, id, lock=lock)
    if catalog is None:
        raise CatalogNotFound(f"No channel catalog {id}")
    return catalog


async def list_catalogs(
    session: AsyncSession, tenant_id: uuid.UUID, channel_id: uuid.UUID, page: PageParams
) -> tuple[list[ChannelCatalog], str | None]:
    await get_channel(session, tenant_id, channel_id)
    return await paginate(
        session, repo.catalogs_stmt(tenant_id, channel_id), page, keys=[ChannelCatalog.id]
    )


async def add_draft_item(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, body: DraftItemCreate
) -> CatalogDraftItem:
    # imported here: publishing imports this module
    from services.catalog.channels.publishing import check_listable

    catalog = await get_catalog(session, tenant_id, catalog_id)
    sku = await get_sku(session, tenant_id, body.sku_id)
    if body.offering_id is not None:
        offering = await get_offering(session, tenant_id, body.offering_id)
        if offering.sku_id != sku.id:
            raise InvalidItem("The offering is not for that SKU")
    if await repo.find_draft_item(session, tenant_id, catalog.id, sku.id, body.offering_id):
        raise ItemAlreadyInDraft(f"{sku.sku_code} is already in the draft")
    constraints = body.constraints.model_dump()
    await check_listable(session, catalog, [(sku, constraints)])
    item = CatalogDraftItem(
        tenant_id=tenant_id,
        catalog_id=catalog.id,
        sku_id=sku.id,
        offering_id=body.offering_id,
        status=body.status,
        constraints=constraints,
    )
    session.add(item)
    await session.flush()
    return item


async def remove_draft_item(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, item_id: uuid.UUID
) -> None:
    item = await repo.get_draft_item(session, tenant_id, catalog_id, item_id)
    if item is None:
        raise DraftItemNotFound(f"No item {item_id} in the draft")
    await session.delete(item)
    await session.flush()


async def list_draft(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, page: PageParams
) -> tuple[list[CatalogDraftItem], str | None]:
    await get_catalog(session, tenant_id, catalog_id)
    return await paginate(
        session, repo.draft_stmt(tenant_id, catalog_id), page, keys=[CatalogDraftItem.id]
    )
