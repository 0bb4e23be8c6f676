from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery, paginate
from services.production.models import Product as ProductModel
from services.production.models import ProductVersion as VersionModel
from services.production.products import repository as repo
from services.production.products import service
from services.production.products.schemas import (
    BomLine,
    Explosion,
    Product,
    ProductCreate,
    ProductUpdate,
    ProductVersion,
    ProductVersionCreate,
    ProductVersionSummary,
    ProductVersionUpdate,
    Stage,
)
from services.production.web import errors, provider

router = APIRouter(prefix="/products", tags=["products"])

Reader = Annotated[Principal, provider("products:read")]
Writer = Annotated[Principal, provider("products:write")]


async def _products_out(
    session: AsyncSession, tenant_id: uuid.UUID, products: list[ProductModel]
) -> list[Product]:
    versions = await repo.versions(session, tenant_id, [p.id for p in products])
    by_product: dict[uuid.UUID, list[VersionModel]] = {}
    for v in versions:
        by_product.setdefault(v.product_id, []).append(v)
    return [
        Product.model_validate(p).model_copy(
            update={
                "versions": [
                    ProductVersionSummary.model_validate(v) for v in by_product.get(p.id, [])
                ]
            }
        )
        for p in products
    ]


async def _version_out(session: AsyncSession, version: VersionModel) -> ProductVersion:
    lines = await repo.lines_of(session, version.id)
    stages = await repo.stages_of(session, version.id)
    return ProductVersion.model_validate(version).model_copy(
        update={
            "bom": [BomLine.model_validate(x) for x in lines],
            "stages": [Stage.model_validate(x) for x in stages],
        }
    )


@router.get("", response_model=Page[Product], responses=errors())
async def list_products(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    sku: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[Product]:
    stmt = repo.list_stmt(principal.tenant_id, sku=sku, category=category)
    rows, cursor = await paginate(session, stmt, page, keys=[ProductModel.id])
    items = await _products_out(session, principal.tenant_id, rows)
    return Page[Product](items=items, next_cursor=cursor)


@router.post("", status_code=201, response_model=Product, responses=errors(409, 422))
async def create_product(
    body: ProductCreate, session: TenantSession, response: Response, principal: Writer
) -> Product:
    """Creates the product and its draft version 1 (BOM and stages)."""
    product, _ = await service.create_product(session, principal.tenant_id, body)
    set_etag(response, product.version)
    return (await _products_out(session, principal.tenant_id, [product]))[0]


@router.get("/{product_id}", response_model=Product, responses=errors(404))
async def get_product(
    product_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> Product:
    product = await service.get_product(session, principal.tenant_id, product_id)
    set_etag(response, product.version)
    return (await _products_out(session, principal.tenant_id, [product]))[0]


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
    return (await _products_out(session, principal.tenant_id, [product]))[0]


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
    return await _version_out(session, version)


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
    return await _version_out(session, version)


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
    return await _version_out(session, version)


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
    return await _version_out(session, version)


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
