"""Products, SKUs, offerings and equipment: the rules."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import Conflict, NotFound, Unprocessable
from libs.common.pagination import PageParams, paginate
from services.catalog.models import Equipment, Offering, Product, Sku
from services.catalog.money import is_currency
from services.catalog.orgs.service import get_org
from services.catalog.products import repository as repo
from services.catalog.products.schemas import (
    EquipmentCreate,
    OfferingCreate,
    ProductCreate,
    ProductUpdate,
    SkuCreate,
    SkuUpdate,
)


class ProductNotFound(NotFound):
    code, title = "product_not_found", "Product not found"


class SkuNotFound(NotFound):
    code, title = "sku_not_found", "SKU not found"


class OfferingNotFound(NotFound):
    code, title = "offering_not_found", "Offering not found"


class EquipmentNotFound(NotFound):
    code, title = "equipment_not_found", "Equipment not found"


class CodeTaken(Conflict):
    code, title = "code_taken", "The code is already used for this manufacturer"


class NotAManufacturer(Unprocessable):
    code, title = "not_a_manufacturer", "Products belong to a manufacturer organisation"


class UnknownCurrency(Unprocessable):
    code, title = "unknown_currency", "Not an ISO 4217 currency"


async def _manufacturer(
    session: AsyncSession, tenant_id: uuid.UUID, org_id: uuid.UUID | None
) -> None:
    if org_id is None:
        return
    org = await get_org(session, tenant_id, org_id)
    if org.type != "manufacturer":
        raise NotAManufacturer(f"{org.name} is a {org.type}, not a manufacturer")


async def create_product(
    session: AsyncSession, tenant_id: uuid.UUID, body: ProductCreate
) -> Product:
    await _manufacturer(session, tenant_id, body.manufacturer_org_id)
    if await repo.find_product_code(session, tenant_id, body.manufacturer_org_id, body.code):
        raise CodeTaken(f"Product code {body.code} is already used for this manufacturer")
    product = Product(tenant_id=tenant_id, **body.model_dump())
    session.add(product)
    await session.flush()
    return product


async def get_product(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Product:
    product = await repo.get_product(session, tenant_id, id)
    if product is None:
        raise ProductNotFound(f"No product {id}")
    return product


async def update_product(session: AsyncSession, product: Product, body: ProductUpdate) -> Product:
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None or field == "category":
            setattr(product, field, value)
    await session.flush()
    return product


async def list_products(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    manufacturer_org_id: uuid.UUID | None,
    category: str | None,
) -> tuple[list[Product], str | None]:
    stmt = repo.products_stmt(tenant_id, manufacturer_org_id, category)
    return await paginate(session, stmt, page, keys=[Product.id])


def _check_currency(code: str | None) -> None:
    if code is not None and not is_currency(code):
        raise UnknownCurrency(f"{code} is not an ISO 4217 currency")


async def create_sku(session: AsyncSession, tenant_id: uuid.UUID, body: SkuCreate) -> Sku:
    product = await get_product(session, tenant_id, body.product_id)
    _check_currency(body.cost_currency)
    if await repo.find_sku_code(session, tenant_id, product.manufacturer_org_id, body.sku_code):
        raise CodeTaken(f"SKU code {body.sku_code} is already used for this manufacturer")
    sku = Sku(
        tenant_id=tenant_id,
        manufacturer_org_id=product.manufacturer_org_id,
        category=product.category,
        **{**body.model_dump(), "name": body.name or body.sku_code},
    )
    session.add(sku)
    await session.flush()
    return sku


async def get_sku(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Sku:
    sku = await repo.get_sku(session, tenant_id, id)
    if sku is None:
        raise SkuNotFound(f"No SKU {id}")
    return sku


async def update_sku(session: AsyncSession, sku: Sku, body: SkuUpdate) -> Sku:
    _check_currency(body.cost_currency)
    for field, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(sku, field, value)
    await session.flush()
    return sku


async def list_skus(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    page: PageParams,
    product_id: uuid.UUID | None,
    sku_code: str | None,
) -> tuple[list[Sku], str | None]:
    return await paginate(
        session, repo.skus_stmt(tenant_id, product_id, sku_code), page, keys=[Sku.id]
    )


async def create_offering(
    session: AsyncSession, tenant_id: uuid.UUID, body: OfferingCreate
) -> Offering:
    await get_sku(session, tenant_id, body.sku_id)
    offering = Offering(tenant_id=tenant_id, **body.model_dump())
    session.add(offering)
    await session.flush()
    return offering


async def get_offering(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Offering:
    offering = await repo.get_offering(session, tenant_id, id)
    if offering is None:
        raise OfferingNotFound(f"No offering {id}")
    return offering


async def list_offerings(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams, sku_id: uuid.UUID | None
) -> tuple[list[Offering], str | None]:
    return await paginate(session, repo.offerings_stmt(tenant_id, sku_id), page, keys=[Offering.id])


async def create_equipment(
    session: AsyncSession, tenant_id: uuid.UUID, body: EquipmentCreate
) -> Equipment:
    manufacturer = body.manufacturer_org_id
    if body.sku_id is not None:
        sku = await get_sku(session, tenant_id, body.sku_id)
        manufacturer = manufacturer or sku.manufacturer_org_id
    await _manufacturer(session, tenant_id, manufacturer)
    if body.owner_org_id is not None:
        await get_org(session, tenant_id, body.owner_org_id)
    if await repo.find_serial(session, tenant_id, body.serial_number):
        raise CodeTaken(f"Serial number {body.serial_number} is already registered")
    equipment = Equipment(
        tenant_id=tenant_id, **{**body.model_dump(), "manufacturer_org_id": manufacturer}
    )
    session.add(equipment)
    await session.flush()
    return equipment


async def get_equipment(session: AsyncSession, tenant_id: uuid.UUID, id: uuid.UUID) -> Equipment:
    equipment = await repo.get_equipment(session, tenant_id, id)
    if equipment is None:
        raise EquipmentNotFound(f"No equipment {id}")
    return equipment


async def list_equipment(
    session: AsyncSession, tenant_id: uuid.UUID, page: PageParams, owner_org_id: uuid.UUID | None
) -> tuple[list[Equipment], str | None]:
    return await paginate(
        session, repo.equipment_stmt(tenant_id, owner_org_id), page, keys=[Equipment.id]
    )
