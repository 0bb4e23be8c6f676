"""Publishing passports: per lot, or for every lot of a product or a brand. A published
passport never changes; publishing again makes version n+1 and supersedes the previous."""

from __future__ import annotations

import io
import uuid

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.auth import Principal
from libs.common.errors import NotFound, Unprocessable
from libs.common.ids import new_id
from libs.common.pagination import PageParams, paginate
from libs.contracts.events.quality import PassportPublished
from services.quality import events
from services.quality.access import require_plant
from services.quality.models import Lot, Passport
from services.quality.passports import dpp
from services.quality.passports import materials as lot_materials
from services.quality.passports import repository as repo
from services.quality.photos_keys import photo_keys_for_lot
from services.quality.products import repository as products_repo
from services.quality.products.service import get_settings

WRITE = "passports:write"


class LotNotFound(NotFound):
    code, title = "lot_not_found", "Lot not found"


class PassportNotFound(NotFound):
    code, title = "passport_not_found", "Passport not found"


class UnknownCustomer(Unprocessable):
    code, title = "unknown_customer", "Unknown customer"


async def publish(
    session: AsyncSession,
    principal: Principal,
    lot: Lot,
    *,
    root: str,
    base: str,
    host: str,
    description: str | None = None,
) -> Passport:
    require_plant(principal, WRITE, lot.plant_id)
    previous = await repo.current(session, lot.id)
    version = await repo.latest_version(session, lot.id) + 1
    product = (
        await products_repo.get_product(session, lot.tenant_id, lot.product_sku)
        if lot.product_sku
        else None
    )
    settings = await get_settings(session, lot.tenant_id)
    inspection = await repo.last_completed(session, lot.id)
    materials = (
        lot_materials.for_lot(lot, await repo.order_materials(session, lot.tenant_id, lot.order_id))
        if lot.order_id
        else []
    )
    passport_id = new_id()
    passport = Passport(
        id=passport_id,
        tenant_id=lot.tenant_id,
        customer_tenant_id=lot.customer_tenant_id,
        lot_id=lot.id,
        lot_number=lot.number,
        gtin=product.gtin if product else None,
        version=version,
        status="published",
        credential=dpp.credential(
            passport_id=passport_id,
            root=root,
            base=base,
            host=host,
            lot=lot,
            product=product,
            settings=settings,
            inspection=inspection,
            materials=materials,
            description=description,
        ),
        page=dpp.page_data(
            lot=lot,
            product=product,
            settings=settings,
            inspection=inspection,
            photo_keys=await photo_keys_for_lot(session, lot.id, limit=6),
            materials=materials,
        ),
        published_by=principal.subject,
    )
    if previous is not None:
        previous.status = "superseded"
        previous.superseded_by = passport_id
        await session.flush()
    session.add(passport)
    await session.flush()
    await events.emit(
        session,
        PassportPublished(
            passport_id=passport_id,
            lot_id=lot.id,
            lot_number=lot.number,
            version=version,
            gtin=passport.gtin,
            url=passport.credential["id"],
            digital_link=passport.credential["credentialSubject"]["id"],
            supersedes=previous.id if previous else None,
        ),
        tenant_id=lot.tenant_id,
        subject=f"passports/{passport_id}",
        customer_tenant_id=lot.customer_tenant_id,
        plant_id=lot.plant_id,
        lot_id=lot.id,
    )
    return passport


async def publish_lot(
    session: AsyncSession,
    principal: Principal,
    lot_id: uuid.UUID,
    *,
    root: str,
    base: str,
    host: str,
    description: str | None,
) -> Passport:
    lot = await repo.lot(session, principal, lot_id)
    if lot is None:
        raise LotNotFound("Lot not found")
    return await publish(
        session,
        principal,
        lot,
        root=root,
        base=base,
        host=host,
        description=description,
    )


async def publish_many(
    session: AsyncSession,
    principal: Principal,
    *,
    product_sku: str | None,
    customer: uuid.UUID | None,
    root: str,
    base: str,
    host: str,
) -> tuple[list[Passport], int]:
    """Every lot of the product or brand that has a completed inspection (at most 200).
    The brand must be a client of the caller's tenant: quality keeps no copy of the tenant
    tree, so a brand none of the tenant's lots is made for is unknown (422)."""
    if customer is not None and not await repo.is_customer(session, principal, customer):
        raise UnknownCustomer("No lot of this tenant is made for this customer")
    done: list[Passport] = []
    skipped = 0
    for lot in await repo.lots_for(session, principal, product_sku, customer, 200):
        if await repo.last_completed(session, lot.id) is None:
            skipped += 1
            continue
        done.append(await publish(session, principal, lot, root=root, base=base, host=host))
    return done, skipped


async def list_passports(
    session: AsyncSession, principal: Principal, page: PageParams, lot_id: uuid.UUID | None
) -> tuple[list[Passport], str | None]:
    return await paginate(session, repo.list_query(principal, lot_id), page, keys=[Passport.id])


async def public_by_id(session: AsyncSession, passport_id: uuid.UUID) -> Passport:
    found = await repo.public_by_id(session, passport_id)
    if found is None:
        raise PassportNotFound("No published passport with this id")
    return found


async def public_by_link(session: AsyncSession, gtin: str, lot_number: str) -> Passport:
    found = await repo.public_by_link(session, gtin.zfill(14), lot_number)
    if found is None:
        raise PassportNotFound("No published passport for this GTIN and lot")
    return found


def qr_target(passport: Passport, *, root: str, base: str) -> str:
    """What a passport's QR code encodes: its Digital Link URI at the gateway's root."""
    return dpp.digital_link(root, base, passport.gtin, passport.lot_number, passport.id)


def qr(url: str, kind: str) -> bytes:
    code = segno.make(url, error="m")
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=6, border=2, xmldecl=True)
    else:
        code.save(out, kind="png", scale=8, border=2)
    return out.getvalue()
