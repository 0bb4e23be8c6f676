from libs.common.audit import audit_table
from libs.common.idempotency import idempotency_table
from libs.common.outbox import outbox_table
from services.catalog.models.base import Base
from services.catalog.models.channel import (
    CatalogDraftItem,
    CatalogVersion,
    Channel,
    ChannelCatalog,
)
from services.catalog.models.coverage import Engineer, ServicePolicy, Ticket, TicketEscalation
from services.catalog.models.org import ClientLink, Organisation, OrgRelationship
from services.catalog.models.pricing import Agreement, PriceBook, PriceRule
from services.catalog.models.product import Equipment, Offering, Product, Sku
from services.catalog.models.transfer import Import, ImportChunk, StagedSku

idempotency_keys = idempotency_table(Base.metadata)
outbox = outbox_table(Base.metadata)
audit_records = audit_table(Base.metadata)

__all__ = [
    "Agreement",
    "Base",
    "CatalogDraftItem",
    "CatalogVersion",
    "Channel",
    "ChannelCatalog",
    "ClientLink",
    "Engineer",
    "Equipment",
    "Import",
    "ImportChunk",
    "Offering",
    "OrgRelationship",
    "Organisation",
    "PriceBook",
    "PriceRule",
    "Product",
    "ServicePolicy",
    "Sku",
    "StagedSku",
    "Ticket",
    "TicketEscalation",
    "idempotency_keys",
    "outbox",
]
