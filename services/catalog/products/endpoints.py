from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from libs.common.auth import Principal
from libs.common.deps import TenantSession
from libs.common.etag import check_if_match, set_etag
from libs.common.pagination import Page, PageQuery
from services.catalog.orgs.service import OrgNotFound
from services.catalog.products import service
from services.catalog.products.schemas import (
    Equipment,
    EquipmentCreate,
    Offering,
    OfferingCreate,
    Product,
    ProductCreate,
    ProductUpdate,
    Sku,
    SkuCreate,
    SkuUpdate,
)
from services.catalog.web import errors, provider

router = APIRouter(tags=["products"])
Reader = Annotated[Principal, provider("catalog:read")]
Writer = Annotated[Principal, provider("catalog:write")]


@router.get("/products", response_model=Page[Product], responses=errors())
async def list_products(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    manufacturer_org_id: uuid.UUID | None = None,
    category: str | None = None,
) -> Page[Product]:
    rows, cursor = await service.list_products(
        session, principal.tenant_id, page, manufacturer_org_id, category
    )
    return Page[Product](items=[Product.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/products",
    status_code=201,
    response_model=Product,
    responses=errors(OrgNotFound, service.NotAManufacturer, service.CodeTaken, 422),
)
async def create_product(
    body: ProductCreate, session: TenantSession, response: Response, principal: Writer
) -> Product:
    product = await service.create_product(session, principal.tenant_id, body)
    set_etag(response, product.version)
    return Product.model_validate(product)


@router.get(
    "/products/{product_id}", response_model=Product, responses=errors(service.ProductNotFound)
)
async def get_product(
    product_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> Product:
    product = await service.get_product(session, principal.tenant_id, product_id)
    set_etag(response, product.version)
    return Product.model_validate(product)


@router.patch(
    "/products/{product_id}", response_model=Product, responses=errors(service.ProductNotFound, 412)
)
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
    return Product.model_validate(product)


@router.get("/skus", response_model=Page[Sku], responses=errors())
async def list_skus(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    product_id: uuid.UUID | None = None,
    sku_code: str | None = None,
) -> Page[Sku]:
    rows, cursor = await service.list_skus(session, principal.tenant_id, page, product_id, sku_code)
    return Page[Sku](items=[Sku.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/skus",
    status_code=201,
    response_model=Sku,
    responses=errors(service.ProductNotFound, service.CodeTaken, service.UnknownCurrency, 422),
)
async def create_sku(
    body: SkuCreate, session: TenantSession, response: Response, principal: Writer
) -> Sku:
    sku = await service.create_sku(session, principal.tenant_id, body)
    set_etag(response, sku.version)
    return Sku.model_validate(sku)


@router.get("/skus/{sku_id}", response_model=Sku, responses=errors(service.SkuNotFound))
async def get_sku(
    sku_id: uuid.UUID, session: TenantSession, response: Response, principal: Reader
) -> Sku:
    sku = await service.get_sku(session, principal.tenant_id, sku_id)
    set_etag(response, sku.version)
    return Sku.model_validate(sku)


@router.patch(
    "/skus/{sku_id}",
    response_model=Sku,
    responses=errors(service.SkuNotFound, service.UnknownCurrency, 412, 422),
)
async def update_sku(
    sku_id: uuid.UUID,
    body: SkuUpdate,
    request: Request,
    response: Response,
    session: TenantSession,
    principal: Writer,
) -> Sku:
    sku = await service.get_sku(session, principal.tenant_id, sku_id)
    check_if_match(request, sku.version)
    sku = await service.update_sku(session, sku, body)
    set_etag(response, sku.version)
    return Sku.model_validate(sku)


@router.get("/offerings", response_model=Page[Offering], responses=errors())
async def list_offerings(
    session: TenantSession, page: PageQuery, principal: Reader, sku_id: uuid.UUID | None = None
) -> Page[Offering]:
    rows, cursor = await service.list_offerings(session, principal.tenant_id, page, sku_id)
    return Page[Offering](items=[Offering.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/offerings",
    status_code=201,
    response_model=Offering,
    responses=errors(service.SkuNotFound, 422),
)
async def create_offering(
    body: OfferingCreate, session: TenantSession, principal: Writer
) -> Offering:
    return Offering.model_validate(
        await service.create_offering(session, principal.tenant_id, body)
    )


@router.get("/equipment", response_model=Page[Equipment], responses=errors())
async def list_equipment(
    session: TenantSession,
    page: PageQuery,
    principal: Reader,
    owner_org_id: uuid.UUID | None = None,
) -> Page[Equipment]:
    rows, cursor = await service.list_equipment(session, principal.tenant_id, page, owner_org_id)
    return Page[Equipment](items=[Equipment.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/equipment",
    status_code=201,
    response_model=Equipment,
    responses=errors(
        service.SkuNotFound, OrgNotFound, service.NotAManufacturer, service.CodeTaken, 422
    ),
)
async def create_equipment(
    body: EquipmentCreate, session: TenantSession, principal: Writer
) -> Equipment:
    return Equipment.model_validate(
        await service.create_equipment(session, principal.tenant_id, body)
    )


@router.get(
    "/equipment/{equipment_id}",
    response_model=Equipment,
    responses=errors(service.EquipmentNotFound),
)
async def get_equipment(
    equipment_id: uuid.UUID, session: TenantSession, principal: Reader
) -> Equipment:
    return Equipment.model_validate(
        await service.get_equipment(session, principal.tenant_id, equipment_id)
    )
