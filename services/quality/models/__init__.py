from libs.common.audit import audit_table
from libs.common.idempotency import idempotency_table
from libs.common.outbox import outbox_table
from services.quality.models.base import Base
from services.quality.models.checklist import Checklist, ChecklistItem
from services.quality.models.evidence import FeedEntry, Passport, Photo, Report
from services.quality.models.inspection import CheckResult, Defect, Inspection
from services.quality.models.lot import (
    Lot,
    OrderMaterials,
    Product,
    ReceivedEvent,
    TenantSettings,
)
from services.quality.models.switching import SwitchingState

idempotency_keys = idempotency_table(Base.metadata)
outbox = outbox_table(Base.metadata)
audit_records = audit_table(Base.metadata)

__all__ = [
    "Base",
    "CheckResult",
    "Checklist",
    "ChecklistItem",
    "Defect",
    "FeedEntry",
    "Inspection",
    "Lot",
    "OrderMaterials",
    "Passport",
    "Photo",
    "Product",
    "ReceivedEvent",
    "Report",
    "SwitchingState",
    "TenantSettings",
    "idempotency_keys",
    "outbox",
]
