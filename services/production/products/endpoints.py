from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.production.access import errors, provider, reader
from services.production.products import service
from services.production.products.schemas import (
    Explosion,
    Product,
    ProductCreate,
    ProductUpdate,
    ProductVersion,
    ProductVersionCreate,
    ProductVersionUpdate,
)
from services.production.units import IncompatibleUnits

router = APIRouter(prefix="/products", tags=["products"])

Reader = Annotated[Principal, reader("products:read")]
Writer = Annotated[Principal, provider("products:write")]


@router.get("", response_model=Page[Product], responses=errors())
async def list_products(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    sku: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[Product]:
    items, cursor = await service.list_products(
        session, principal.tenant_id, page, sku=sku, category=category
    )
    return Page[Product](items=items, next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=Product,
    responses=errors(service.ProductSkuTaken, IncompatibleUnits, 422),
)
async def create_product(
    body: ProductCreate, session: TenantSession, response: Response, principal: Writer
) -> Product:
    """Creates the product and its draft version 1 (BOM and stages)."""
    product, _ = await service.create_product(session, principal.tenant_id, body)
    set_etag(response, product.version)
    return (await service.present_products(session, principal.tenant_id, [product]))[0]


@router.get("/{product_id}", response_model=Product, responses=errors(404))
async def get_product(
    product_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> Product:
    product = await service.get_product(session, principal.tenant_id, product_id)
    set_etag(response, product.version)
    return (await service.present_products(session, principal.tenant_id, [product]))[0]


@router.patch("/{product_id}", response_model=Product, responses=errors(404, 412))
async def update_product(
    product_id: uuid.UUID,
    body: ProductUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> Product:
    product = await service.get_product(session, principal.tenant_id, product_id)
    check_if_match(request, product.version)
    product = await service.update_product(session, product, body)
    set_etag(response, product.version)
    return (await service.present_products(session, principal.tenant_id, [product]))[0]


@router.post(
    "/{product_id}/versions",
    status_code=201,
    response_model=ProductVersion,
    responses=errors(404, 422),
)
async def create_product_version(
    product_id: uuid.UUID,
    body: ProductVersionCreate,
    session: TenantSession,
    response: Response,
    principal: Writer,
) -> ProductVersion:
    """A new draft version; what is not given is copied from the latest version."""
    product = await service.get_product(session, principal.tenant_id, product_id)
    version = await service.create_version(session, principal.tenant_id, product, body)
    set_etag(response, version.version)
    return await service.present_version(session, version)


@router.get(
    "/{product_id}/versions/{version_id}", response_model=ProductVersion, responses=errors(404)
)
async def get_product_version(
    product_id: uuid.UUID,
    version_id: uuid.UUID,
    session: TenantSession,
    response: Response,
    principal: Reader,
) -> ProductVersion:
    version = await service.get_version(session, principal.tenant_id, product_id, version_id)
    set_etag(response, version.version)
    return await service.present_version(session, version)


@router.put(
    "/{product_id}/versions/{version_id}",
    response_model=ProductVersion,
    responses=errors(404, 409, 412, 422),
)
async def update_product_version(
    product_id: uuid.UUID,
    version_id: uuid.UUID,
    body: ProductVersionUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> ProductVersion:
    """Replace the BOM and/or stages of a draft version; a released one answers 409
    `version_released`."""
    product = await service.get_product(session, principal.tenant_id, product_id)
    version = await service.get_version(session, principal.tenant_id, product_id, version_id)
    check_if_match(request, version.version)
    version = await service.update_version(session, principal.tenant_id, product, version, body)
    set_etag(response, version.version)
    return await service.present_version(session, version)


@router.post(
    "/{product_id}/versions/{version_id}/release",
    response_model=ProductVersion,
    responses=errors(404, 409, 412),
)
async def release_product_version(
    product_id: uuid.UUID,
    version_id: uuid.UUID,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> ProductVersion:
    """Freeze a draft version; orders can then be made of it."""
    version = await service.get_version(session, principal.tenant_id, product_id, version_id)
    check_if_match(request, version.version)
    version = await service.release_version(session, version, actor=principal.subject)
    set_etag(response, version.version)
    return await service.present_version(session, version)


@router.get(
    "/{product_id}/versions/{version_id}/explosion",
    response_model=Explosion,
    responses=errors(404, 422),
)
async def explode_product_version(
    product_id: uuid.UUID,
    version_id: uuid.UUID,
    session: TenantSession,
    principal: Reader,
    quantity: Annotated[Decimal, Query(gt=0, max_digits=15, decimal_places=3)] = Decimal(1),
) -> Explosion:
    """The leaf materials (inventory SKUs) needed for `quantity` units, through every level."""
    version = await service.get_version(session, principal.tenant_id, product_id, version_id)
    return await service.explode(session, principal.tenant_id, version, quantity)
