from libs.common.audit import audit_table
from libs.common.idempotency import idempotency_table
from services.sync.models.attempt import Attempt
from services.sync.models.base import Base
from services.sync.models.delivery import Delivery
from services.sync.models.endpoint import Endpoint
from services.sync.models.event import Event

idempotency_keys = idempotency_table(Base.metadata)
audit_records = audit_table(Base.metadata)

__all__ = ["Attempt", "Base", "Delivery", "Endpoint", "Event", "idempotency_keys"]
