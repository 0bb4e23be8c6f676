from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.errors import Forbidden
from libs.common.pagination import Page, PageQuery, decode_cursor, encode_cursor
from services.catalog.channels import publishing, service
from services.catalog.channels.schemas import (
    CatalogDiff,
    CatalogVersion,
    CatalogVersionSummary,
    Channel,
    ChannelCatalog,
    ChannelCatalogCreate,
    ChannelCreate,
    ChannelType,
    DraftItem,
    DraftItemCreate,
    Listing,
    PublishRequest,
    RollbackRequest,
)
from services.catalog.orgs.service import OrgNotFound
from services.catalog.products.service import OfferingNotFound, SkuNotFound
from services.catalog.web import (
    NotLinked,
    ReaderSessionDep,
    errors,
    provider,
    reader_access,
    resolve_reader,
)

router = APIRouter(tags=["channels"])
Reader = Annotated[Principal, provider("catalog:read")]
Writer = Annotated[Principal, provider("catalog:write")]


@router.get("/channels", response_model=Page[Channel], responses=errors())
async def list_channels(
    session: TenantSession, page: PageQuery, principal: Reader, type: ChannelType | None = None
) -> Page[Channel]:
    rows, cursor = await service.list_channels(session, principal.tenant_id, page, type)
    return Page[Channel](items=[Channel.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/channels",
    status_code=201,
    response_model=Channel,
    responses=errors(service.ChannelExists, 422),
)
async def create_channel(body: ChannelCreate, session: TenantSession, principal: Writer) -> Channel:
    return Channel.model_validate(await service.create_channel(session, principal.tenant_id, body))


@router.get(
    "/channels/{channel_id}", response_model=Channel, responses=errors(service.ChannelNotFound)
)
async def get_channel(channel_id: uuid.UUID, session: TenantSession, principal: Reader) -> Channel:
    return Channel.model_validate(
        await service.get_channel(session, principal.tenant_id, channel_id)
    )


@router.get(
    "/channels/{channel_id}/catalogs",
    response_model=Page[ChannelCatalog],
    responses=errors(service.ChannelNotFound),
)
async def list_channel_catalogs(
    channel_id: uuid.UUID, session: TenantSession, page: PageQuery, principal: Reader
) -> Page[ChannelCatalog]:
    rows, cursor = await service.list_catalogs(session, principal.tenant_id, channel_id, page)
    return Page[ChannelCatalog](
        items=[ChannelCatalog.model_validate(r) for r in rows], next_cursor=cursor
    )


@router.post(
    "/channels/{channel_id}/catalogs",
    status_code=201,
    response_model=ChannelCatalog,
    responses=errors(service.ChannelNotFound, OrgNotFound, service.CatalogExists),
)
async def create_channel_catalog(
    channel_id: uuid.UUID, body: ChannelCatalogCreate, session: TenantSession, principal: Writer
) -> ChannelCatalog:
    catalog = await service.create_catalog(session, principal.tenant_id, channel_id, body)
    return ChannelCatalog.model_validate(catalog)


@router.get(
    "/catalogs/{catalog_id}",
    response_model=ChannelCatalog,
    responses=errors(service.CatalogNotFound),
)
async def get_channel_catalog(
    catalog_id: uuid.UUID, session: TenantSession, principal: Reader
) -> ChannelCatalog:
    return ChannelCatalog.model_validate(
        await service.get_catalog(session, principal.tenant_id, catalog_id)
    )


@router.get(
    "/catalogs/{catalog_id}/draft",
    response_model=Page[DraftItem],
    responses=errors(service.CatalogNotFound),
)
async def list_draft_items(
    catalog_id: uuid.UUID, session: TenantSession, page: PageQuery, principal: Reader
) -> Page[DraftItem]:
    rows, cursor = await service.list_draft(session, principal.tenant_id, catalog_id, page)
    return Page[DraftItem](items=[DraftItem.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/catalogs/{catalog_id}/draft",
    status_code=201,
    response_model=DraftItem,
    responses=errors(
        service.CatalogNotFound,
        SkuNotFound,
        OfferingNotFound,
        service.ItemAlreadyInDraft,
        service.InvalidItem,
        publishing.NotEligible,
    ),
)
async def add_draft_item(
    catalog_id: uuid.UUID, body: DraftItemCreate, session: TenantSession, principal: Writer
) -> DraftItem:
    """Add a SKU (or offering) to the draft; refused at once when the audience is not
    eligible (certifications, territories, relationship) or the publisher lacks the item."""
    item = await service.add_draft_item(session, principal.tenant_id, catalog_id, body)
    return DraftItem.model_validate(item)


@router.delete(
    "/catalogs/{catalog_id}/draft/{item_id}",
    status_code=204,
    responses=errors(service.DraftItemNotFound),
)
async def remove_draft_item(
    catalog_id: uuid.UUID, item_id: uuid.UUID, session: TenantSession, principal: Writer
) -> Response:
    await service.remove_draft_item(session, principal.tenant_id, catalog_id, item_id)
    return Response(status_code=204)


@router.post(
    "/catalogs/{catalog_id}/publish",
    status_code=201,
    response_model=CatalogVersion,
    responses=errors(service.CatalogNotFound, publishing.NotEligible),
)
async def publish_catalog(
    catalog_id: uuid.UUID, body: PublishRequest, session: TenantSession, principal: Writer
) -> CatalogVersion:
    """Publish the draft as the next immutable version (atomically), emitting
    `catalog.published`."""
    version = await publishing.publish(
        session, principal.tenant_id, catalog_id, body.note, principal.subject
    )
    return CatalogVersion.model_validate(version)


@router.post(
    "/catalogs/{catalog_id}/rollback",
    status_code=201,
    response_model=CatalogVersion,
    responses=errors(service.CatalogNotFound, publishing.VersionNotFound, publishing.NotEligible),
)
async def rollback_catalog(
    catalog_id: uuid.UUID, body: RollbackRequest, session: TenantSession, principal: Writer
) -> CatalogVersion:
    """Publish a new version with the items of an old one (history is never rewritten)."""
    version = await publishing.rollback(
        session, principal.tenant_id, catalog_id, body.to_version, body.note, principal.subject
    )
    return CatalogVersion.model_validate(version)


@router.get(
    "/catalogs/{catalog_id}/versions",
    response_model=Page[CatalogVersionSummary],
    responses=errors(service.CatalogNotFound),
)
async def list_catalog_versions(
    catalog_id: uuid.UUID, session: TenantSession, page: PageQuery, principal: Reader
) -> Page[CatalogVersionSummary]:
    rows, cursor = await publishing.list_versions(session, principal.tenant_id, catalog_id, page)
    return Page[CatalogVersionSummary](
        items=[CatalogVersionSummary.model_validate(r) for r in rows], next_cursor=cursor
    )


# version numbers are Postgres integers: a larger one is bad input (422), never a 500
VERSION_MAX = 2**31 - 1


@router.get(
    "/catalogs/{catalog_id}/versions/{number}",
    response_model=CatalogVersion,
    responses=errors(publishing.VersionNotFound),
)
async def get_catalog_version(
    catalog_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=VERSION_MAX)],
    session: TenantSession,
    principal: Reader,
) -> CatalogVersion:
    version = await publishing.get_version(session, principal.tenant_id, catalog_id, number)
    return CatalogVersion.model_validate(version)


@router.get(
    "/catalogs/{catalog_id}/diff",
    response_model=CatalogDiff,
    responses=errors(publishing.VersionNotFound),
)
async def diff_catalog_versions(
    catalog_id: uuid.UUID,
    session: TenantSession,
    principal: Reader,
    from_version: Annotated[int, Query(alias="from", ge=1, le=VERSION_MAX)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=VERSION_MAX)],
) -> CatalogDiff:
    return await publishing.diff(session, principal.tenant_id, catalog_id, from_version, to_version)


@router.get("/listings", response_model=Page[Listing], responses=errors(NotLinked, OrgNotFound))
async def list_listings(
    rs: ReaderSessionDep,
    page: PageQuery,
    _p: Annotated[Principal, reader_access()],
    org_id: Annotated[
        uuid.UUID | None,
        Query(description="Whose catalog (provider users; a client tenant sees its own only)"),
    ] = None,
    channel_id: uuid.UUID | None = None,
) -> Page[Listing]:
    """An organisation's channel catalog: every published item that reaches it, once per
    SKU, with the source that won and the ones it beat."""
    session, principal = rs
    reader = await resolve_reader(session, principal)
    if reader.org_id is not None:
        if org_id is not None and org_id != reader.org_id:
            raise Forbidden("A client tenant sees its own organisation's catalog only")
        org_id = reader.org_id
    items = await publishing.org_listings(session, reader.tenant_id, org_id, channel_id)
    if page.cursor:
        after = decode_cursor(page.cursor, [str, str, str])
        items = [
            i for i in items if (i.sku_code, str(i.sku_id), str(i.offering_id or "")) > tuple(after)
        ]
    cursor = None
    if len(items) > page.limit:
        items = items[: page.limit]
        last = items[-1]
        cursor = encode_cursor([last.sku_code, str(last.sku_id), str(last.offering_id or "")])
    return Page[Listing](items=items, next_cursor=cursor)
