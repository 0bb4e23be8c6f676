"""The tenant's quality settings and quality's side of products (name, GTIN, sampling)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import NotFound
from libs.common.ids import new_id
from libs.common.pagination import PageParams, paginate
from services.quality.models import Product, TenantSettings
from services.quality.products import repository as repo
from services.quality.products.schemas import ProductUpdate, QualitySettingsUpdate
from services.quality.sampling.schemas import DEFAULT_SPEC, spec_from_template


class ProductNotFound(NotFound):
    code = "product_not_found"


async def get_settings(session: AsyncSession, tenant_id: uuid.UUID) -> TenantSettings:
    found = await repo.get_settings(session, tenant_id)
    if found is None:
        return TenantSettings(tenant_id=tenant_id, sampling=DEFAULT_SPEC.model_dump())
    return found


async def update_settings(
    session: AsyncSession, principal: Principal, body: QualitySettingsUpdate
) -> TenantSettings:
    found = await repo.get_settings(session, principal.tenant_id)
    if found is None:
        found = TenantSettings(tenant_id=principal.tenant_id, sampling=DEFAULT_SPEC.model_dump())
        session.add(found)
    if body.sampling_code:
        found.sampling = spec_from_template(body.sampling_code).model_dump()
    if body.sampling:
        found.sampling = body.sampling.model_dump()
    for field in ("name", "issuer_did"):
        if field in body.model_fields_set:
            setattr(found, field, getattr(body, field))
    if "logo_url" in body.model_fields_set:
        found.logo_url = str(body.logo_url) if body.logo_url else None
    await session.flush()
    return found


async def list_products(
    session: AsyncSession, principal: Principal, page: PageParams, sku: str | None
) -> tuple[list[Product], str | None]:
    return await paginate(
        session, repo.products_query(principal.tenant_id, sku), page, keys=[Product.id]
    )


def _as_id(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(key)
    except ValueError:
        return None


async def update_product(
    session: AsyncSession, principal: Principal, key: str, body: ProductUpdate
) -> Product:
    """`key` is a product id quality gave out (it must be one of the tenant's: 404
    otherwise) or a SKU of the tenant's own catalogue (made on first use)."""
    product_id = _as_id(key)
    if product_id is not None:
        product = await repo.get_product_by_id(session, principal.tenant_id, product_id)
        if product is None:
            raise ProductNotFound("No product with this id in quality")
    else:
        product = await repo.get_product(session, principal.tenant_id, key)
        if product is None:
            product = Product(id=new_id(), tenant_id=principal.tenant_id, sku=key)
            session.add(product)
    if "name" in body.model_fields_set:
        product.name = body.name
    if "gtin" in body.model_fields_set:
        product.gtin = body.gtin.zfill(14) if body.gtin else None
    if "sampling" in body.model_fields_set:
        product.sampling = body.sampling.model_dump() if body.sampling else None
    await session.flush()
    return product


async def find_product(session: AsyncSession, principal: Principal, key: str) -> Product:
    """One of the tenant's products in quality, by its id or its SKU (404 otherwise)."""
    product_id = _as_id(key)
    product = (
        await repo.get_product_by_id(session, principal.tenant_id, product_id)
        if product_id is not None
        else await repo.get_product(session, principal.tenant_id, key)
    )
    if product is None:
        raise ProductNotFound("No such product in quality")
    return product


async def require_product(session: AsyncSession, principal: Principal, sku: str) -> Product:
    product = await repo.get_product(session, principal.tenant_id, sku)
    if product is None:
        raise ProductNotFound(f"No product {sku} in quality")
    return product
