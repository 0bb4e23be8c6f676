from libs.common.idempotency import idempotency_table
from libs.common.outbox import outbox_table
from services.quality.models.awaiting_inspection import AwaitingInspection
from services.quality.models.base import Base

idempotency_keys = idempotency_table(Base.metadata)
outbox = outbox_table(Base.metadata)

__all__ = ["AwaitingInspection", "Base", "idempotency_keys", "outbox"]
