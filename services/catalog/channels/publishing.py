"""Publishing: a draft becomes an immutable numbered version, atomically; rollback publishes
a new version from an old one; a diff compares any two. Eligibility gates every version."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.errors import NotFound, Unprocessable
from libs.common.pagination import PageParams, paginate
from services.catalog.channels import repository as repo
from services.catalog.channels.listings import listings
from services.catalog.channels.schemas import CatalogDiff, ItemChange, Listing
from services.catalog.channels.service import get_catalog
from services.catalog.events import CatalogPublished, emit
from services.catalog.models import CatalogDraftItem, CatalogVersion, ChannelCatalog, Sku
from services.catalog.orgs import repository as org_repo
from services.catalog.orgs.service import get_org
from services.catalog.products import repository as product_repo

RECEIVING = ("dealer_of", "distributor_of")


class VersionNotFound(NotFound):
    code, title = "catalog_version_not_found", "Catalog version not found"


class NotEligible(Unprocessable):
    """The audience may not list these items; `problems` says why, item by item."""

    code, title = "not_eligible", "The organisation is not eligible for these items"


def covers(regions: list[str], territory: str) -> bool:
    """An org covering FR covers FR-IDF, and one in FR-IDF is within FR."""
    return any(
        r == territory or territory.startswith(r + "-") or r.startswith(territory + "-")
        for r in regions
    )


async def check_listable(
    session: AsyncSession, catalog: ChannelCatalog, items: list[tuple[Sku, dict[str, Any]]]
) -> None:
    problems: list[dict[str, Any]] = []
    tenant_id = catalog.tenant_id
    audience = await get_org(session, tenant_id, catalog.org_id) if catalog.org_id else None
    publisher = (
        await get_org(session, tenant_id, catalog.publisher_org_id)
        if catalog.publisher_org_id
        else None
    )
    if audience is not None and audience.status != "active":
        problems.append({"code": "org_inactive", "detail": f"{audience.name} is {audience.status}"})
    if audience is not None and publisher is not None:
        now = datetime.now(UTC)
        related = any(
            e.child_org_id == audience.id
            and e.parent_org_id == publisher.id
            and e.relation_type in RECEIVING
            for e in await org_repo.active_edges(session, tenant_id, now)
        )
        if not related:
            problems.append(
                {
                    "code": "not_related",
                    "detail": f"{audience.name} is neither dealer_of nor distributor_of "
                    f"{publisher.name} today",
                }
            )
    received: set[str] | None = None
    for sku, constraints in items:
        if publisher is not None and sku.manufacturer_org_id != publisher.id:
            if received is None:
                received = {str(x.sku_id) for x in await listings(session, tenant_id, publisher)}
            if str(sku.id) not in received:
                problems.append(
                    {
                        "code": "item_not_available",
                        "sku_code": sku.sku_code,
                        "detail": f"{publisher.name} neither makes {sku.sku_code} nor has it "
                        "published to it",
                    }
                )
        if audience is None:
            continue
        missing = sorted(
            set(constraints.get("required_certifications", [])) - set(audience.certifications)
        )
        if missing:
            problems.append(
                {
                    "code": "missing_certifications",
                    "sku_code": sku.sku_code,
                    "missing": missing,
                    "detail": f"{audience.name} lacks {', '.join(missing)} for {sku.sku_code}",
                }
            )
        territories = constraints.get("territories", [])
        if territories and not any(covers(audience.regions, t) for t in territories):
            problems.append(
                {
                    "code": "outside_territory",
                    "sku_code": sku.sku_code,
                    "territories": territories,
                    "detail": f"{sku.sku_code} is listed only in {', '.join(territories)}; "
                    f"{audience.name} covers {', '.join(audience.regions) or 'no region'}",
                }
            )
    if problems:
        raise NotEligible("; ".join(p["detail"] for p in problems), extra={"problems": problems})


def _snapshot(
    sku: Sku, offering_id: uuid.UUID | None, status: str, constraints: dict[str, Any]
) -> dict[str, Any]:
    return {
        "sku_id": str(sku.id),
        "sku_code": sku.sku_code,
        "name": sku.name,
        "product_id": str(sku.product_id),
        "manufacturer_org_id": str(sku.manufacturer_org_id) if sku.manufacturer_org_id else None,
        "category": sku.category,
        "offering_id": str(offering_id) if offering_id else None,
        "status": status,
        "constraints": constraints,
    }


async def _write_version(
    session: AsyncSession,
    catalog: ChannelCatalog,
    items: list[dict[str, Any]],
    *,
    action: str,
    source_version: int | None,
    note: str | None,
    published_by: str,
) -> CatalogVersion:
    number = catalog.current_version + 1
    version = CatalogVersion(
        tenant_id=catalog.tenant_id,
        catalog_id=catalog.id,
        number=number,
        action=action,
        source_version=source_version,
        items=sorted(items, key=lambda i: (i["sku_code"], i["sku_id"], i["offering_id"] or "")),
        note=note,
        published_by=published_by,
        published_at=datetime.now(UTC),
    )
    session.add(version)
    catalog.current_version = number
    await session.flush()
    await emit(
        session,
        CatalogPublished(
            catalog_id=catalog.id,
            channel_id=catalog.channel_id,
            org_id=catalog.org_id,
            publisher_org_id=catalog.publisher_org_id,
            version=number,
            action=action,
            source_version=source_version,
            item_count=len(items),
            published_by=published_by,
            published_at=version.published_at,
        ),
        tenant_id=catalog.tenant_id,
        subject=f"catalogs/{catalog.id}/versions/{number}",
    )
    return version


async def publish(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, note: str | None, by: str
) -> CatalogVersion:
    # the row lock orders concurrent publishes of one catalog: numbers never collide
    catalog = await get_catalog(session, tenant_id, catalog_id, lock=True)
    draft = await repo.draft_items(session, tenant_id, catalog.id)
    skus = await product_repo.get_skus(session, tenant_id, {d.sku_id for d in draft})
    await check_listable(session, catalog, [(skus[d.sku_id], d.constraints) for d in draft])
    items = [_snapshot(skus[d.sku_id], d.offering_id, d.status, d.constraints) for d in draft]
    return await _write_version(
        session, catalog, items, action="publish", source_version=None, note=note, published_by=by
    )


async def get_version(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, number: int
) -> CatalogVersion:
    version = await repo.get_version(session, tenant_id, catalog_id, number)
    if version is None:
        raise VersionNotFound(f"Catalog {catalog_id} has no version {number}")
    return version


async def rollback(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    catalog_id: uuid.UUID,
    to_version: int,
    note: str | None,
    by: str,
) -> CatalogVersion:
    catalog = await get_catalog(session, tenant_id, catalog_id, lock=True)
    source = await get_version(session, tenant_id, catalog.id, to_version)
    skus = await product_repo.get_skus(
        session, tenant_id, {uuid.UUID(i["sku_id"]) for i in source.items}
    )
    await check_listable(
        session, catalog, [(skus[uuid.UUID(i["sku_id"])], i["constraints"]) for i in source.items]
    )
    # the draft starts again from what is now published
    await repo.clear_draft(session, tenant_id, catalog.id)
    for i in source.items:
        session.add(
            CatalogDraftItem(
                tenant_id=tenant_id,
                catalog_id=catalog.id,
                sku_id=uuid.UUID(i["sku_id"]),
                offering_id=uuid.UUID(i["offering_id"]) if i["offering_id"] else None,
                status=i["status"],
                constraints=i["constraints"],
            )
        )
    return await _write_version(
        session,
        catalog,
        list(source.items),
        action="rollback",
        source_version=to_version,
        note=note,
        published_by=by,
    )


async def list_versions(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, page: PageParams
) -> tuple[list[CatalogVersion], str | None]:
    await get_catalog(session, tenant_id, catalog_id)
    return await paginate(
        session, repo.versions_stmt(tenant_id, catalog_id), page, keys=[CatalogVersion.number]
    )


async def diff(
    session: AsyncSession, tenant_id: uuid.UUID, catalog_id: uuid.UUID, a: int, b: int
) -> CatalogDiff:
    before = await get_version(session, tenant_id, catalog_id, a)
    after = await get_version(session, tenant_id, catalog_id, b)

    def keyed(items: list[dict[str, Any]]) -> dict[tuple[str, str | None], dict[str, Any]]:
        return {(i["sku_id"], i["offering_id"]): i for i in items}

    old, new = keyed(before.items), keyed(after.items)
    changed = []
    for key in sorted(old.keys() & new.keys(), key=lambda k: (old[k]["sku_code"], k[0])):
        fields = {
            f for f in old[key].keys() | new[key].keys() if old[key].get(f) != new[key].get(f)
        }
        if fields:
            changed.append(
                ItemChange(
                    sku_id=key[0],
                    offering_id=key[1],
                    before={f: old[key].get(f) for f in sorted(fields)},
                    after={f: new[key].get(f) for f in sorted(fields)},
                )
            )
    return CatalogDiff(
        catalog_id=catalog_id,
        from_version=a,
        to_version=b,
        added=[new[k] for k in sorted(new.keys() - old.keys(), key=lambda k: new[k]["sku_code"])],
        removed=[old[k] for k in sorted(old.keys() - new.keys(), key=lambda k: old[k]["sku_code"])],
        changed=changed,
    )


async def org_listings(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    org_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
) -> list[Listing]:
    org = await get_org(session, tenant_id, org_id) if org_id else None
    return await listings(session, tenant_id, org, channel_id)
