"""What an organisation's channel catalog lists, and what a publisher may list for whom.

One SKU can reach a dealer several ways (directly from its manufacturer, through one or more
distributors, through a catalog meant for every organisation). It is listed once, from the
source with the best rank; ties go to the publisher's name, then the catalog id:

    direct (the SKU's manufacturer publishes it)   0
    preferred distributor (in the dealer's profile) 1
    any other publisher                             2
    a catalog meant for every organisation          3
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.channels import repository as repo
from services.catalog.channels.schemas import Listing, ListingSource
from services.catalog.models import CatalogVersion, ChannelCatalog, Organisation
from services.catalog.orgs import repository as org_repo

RANK = {"direct": 0, "preferred_distributor": 1, "other": 2, "global": 3}


def _path(catalog: ChannelCatalog, item: dict[str, Any], preferred: set[str]) -> str:
    if catalog.org_id is None:
        return "global"
    publisher = str(catalog.publisher_org_id) if catalog.publisher_org_id else None
    if publisher == item.get("manufacturer_org_id"):
        return "direct"
    if publisher in preferred:
        return "preferred_distributor"
    return "other"


async def listings(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    org: Organisation | None,
    channel_id: uuid.UUID | None = None,
) -> list[Listing]:
    """The org's catalog (every channel, or one), one entry per SKU/offering, by sku_code."""
    published: list[tuple[ChannelCatalog, CatalogVersion]] = await repo.published_for(
        session, tenant_id, org.id if org else None, channel_id
    )
    publishers = await org_repo.get_many(
        session, tenant_id, {c.publisher_org_id for c, _ in published if c.publisher_org_id}
    )
    preferred = {str(x) for x in (org.profile.get("preferred_distributors", []) if org else [])}
    found: dict[
        tuple[str, str | None], list[tuple[tuple[int, str, str], ListingSource, dict[str, Any]]]
    ] = {}
    for catalog, version in published:
        pub = publishers.get(catalog.publisher_org_id) if catalog.publisher_org_id else None
        for item in version.items:
            if item.get("status", "listed") != "listed":
                continue
            path = _path(catalog, item, preferred)
            source = ListingSource(
                catalog_id=catalog.id,
                channel_id=catalog.channel_id,
                version=version.number,
                publisher_org_id=catalog.publisher_org_id,
                publisher_name=pub.name if pub else None,
                path=path,  # type: ignore[arg-type]
            )
            key = (item["sku_id"], item.get("offering_id"))
            rank = (RANK[path], source.publisher_name or "", str(catalog.id))
            found.setdefault(key, []).append((rank, source, item))
    out: list[Listing] = []
    for entries in found.values():
        entries.sort(key=lambda e: e[0])
        _, best, item = entries[0]
        out.append(
            Listing(
                sku_id=item["sku_id"],
                sku_code=item["sku_code"],
                name=item["name"],
                product_id=item["product_id"],
                manufacturer_org_id=item.get("manufacturer_org_id"),
                offering_id=item.get("offering_id"),
                via=best,
                also_via=[e[1] for e in entries[1:]],
            )
        )
    out.sort(key=lambda x: (x.sku_code, str(x.sku_id), str(x.offering_id or "")))
    return out
