"""Quality settings of the tenant and quality's side of its products."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.common.auth import Principal, Space
from libs.common.deps import TenantSession, require
from libs.common.errors import AUTH_ERRORS, errors
from libs.common.pagination import Page, PageQuery
from services.quality.products import service
from services.quality.products.schemas import (
    Product,
    ProductUpdate,
    QualitySettings,
    QualitySettingsUpdate,
    Sku,
)

router = APIRouter(tags=["settings"], responses=AUTH_ERRORS)


@router.get("/settings", response_model=QualitySettings, summary="The tenant's quality settings")
async def get_quality_settings(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, perm="inspections:read"))],
    session: TenantSession,
) -> QualitySettings:
    return QualitySettings.model_validate(await service.get_settings(session, principal.tenant_id))


@router.put(
    "/settings",
    response_model=QualitySettings,
    summary="Set the default sampling plan (e.g. the industry template's `aql_1_0`) and branding",
    responses=errors(422),
)
async def update_quality_settings(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, perm="inspections:manage"))],
    session: TenantSession,
    body: QualitySettingsUpdate,
) -> QualitySettings:
    return QualitySettings.model_validate(await service.update_settings(session, principal, body))


@router.get("/products", response_model=Page[Product], summary="Products quality knows of")
async def list_products(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, perm="inspections:read"))],
    session: TenantSession,
    page: PageQuery,
    sku: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[Product]:
    rows, cursor = await service.list_products(session, principal, page, sku)
    return Page(items=[Product.model_validate(r) for r in rows], next_cursor=cursor)


@router.put(
    "/products/{sku}",
    response_model=Product,
    summary="Quality's side of a product: name, GTIN (for Digital Link), sampling override",
    description=(
        "`sku` is the product's SKU in the tenant's own catalogue (the product is made on "
        "first use) or the `id` of one of the tenant's products in quality (404 otherwise)."
    ),
    responses=errors(service.ProductNotFound, 422),
)
async def update_product(
    principal: Annotated[Principal, Depends(require(Space.PROVIDER, perm="inspections:manage"))],
    session: TenantSession,
    sku: Sku,
    body: ProductUpdate,
) -> Product:
    return Product.model_validate(await service.update_product(session, principal, sku, body))
