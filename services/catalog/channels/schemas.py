from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from libs.common.freejson import FreeJson
from services.catalog.web import Body, Schema

ChannelType = Literal["direct", "distributor", "dealer", "online"]


class Channel(Schema):
    id: uuid.UUID
    name: str
    type: ChannelType
    version: int
    created_at: datetime


class ChannelCreate(Body):
    name: str = Field(min_length=1, max_length=255, examples=["Dealer channel"])
    type: ChannelType


class ChannelCatalog(Schema):
    id: uuid.UUID
    channel_id: uuid.UUID
    org_id: uuid.UUID | None
    publisher_org_id: uuid.UUID | None
    current_version: int
    version: int
    created_at: datetime


class ChannelCatalogCreate(Body):
    org_id: uuid.UUID | None = Field(
        default=None, description="The organisation the catalog is for (none: every one)"
    )
    publisher_org_id: uuid.UUID | None = Field(
        default=None, description="Who publishes it (none: the tenant itself)"
    )


class ItemConstraints(BaseModel):
    required_certifications: list[str] = Field(
        default=[], description="The audience organisation must hold all of these"
    )
    territories: list[str] = Field(
        default=[], description="The audience must cover one of these (ISO 3166 codes)"
    )
    extra: FreeJson = {}


class DraftItem(Schema):
    id: uuid.UUID
    sku_id: uuid.UUID
    offering_id: uuid.UUID | None
    status: str
    constraints: dict[str, Any]
    created_at: datetime


class DraftItemCreate(Body):
    sku_id: uuid.UUID
    offering_id: uuid.UUID | None = None
    status: Literal["listed", "hidden"] = "listed"
    constraints: ItemConstraints = ItemConstraints()


class PublishRequest(Body):
    note: str | None = Field(default=None, max_length=500)


class RollbackRequest(Body):
    to_version: int = Field(ge=1)
    note: str | None = Field(default=None, max_length=500)


class CatalogVersion(Schema):
    id: uuid.UUID
    catalog_id: uuid.UUID
    number: int
    action: Literal["publish", "rollback"]
    source_version: int | None
    items: list[dict[str, Any]]
    note: str | None
    published_by: str
    published_at: datetime


class CatalogVersionSummary(Schema):
    id: uuid.UUID
    number: int
    action: Literal["publish", "rollback"]
    source_version: int | None
    note: str | None
    published_by: str
    published_at: datetime


class ItemChange(BaseModel):
    sku_id: str
    offering_id: str | None
    before: dict[str, Any]
    after: dict[str, Any]


class CatalogDiff(BaseModel):
    catalog_id: uuid.UUID
    from_version: int
    to_version: int
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[ItemChange]


class ListingSource(BaseModel):
    catalog_id: uuid.UUID
    channel_id: uuid.UUID
    version: int
    publisher_org_id: uuid.UUID | None
    publisher_name: str | None
    path: Literal["direct", "preferred_distributor", "other", "global"]


class Listing(BaseModel):
    """One SKU (or offering) as the organisation sees it: from the source that won, with the
    sources it beat (precedence: direct > preferred distributor > other > global)."""

    sku_id: uuid.UUID
    sku_code: str
    name: str
    product_id: uuid.UUID
    manufacturer_org_id: uuid.UUID | None
    offering_id: uuid.UUID | None
    via: ListingSource
    also_via: list[ListingSource]
