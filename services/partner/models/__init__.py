from libs.common.audit import audit_table
from libs.common.idempotency import idempotency_table
from libs.common.outbox import outbox_table
from services.partner.models.activity import Activity
from services.partner.models.base import Base
from services.partner.models.mocks import *  # noqa: F403  (pengine's tables)
from services.partner.models.partner import Partner, Project
from services.partner.models.plan import Criterion, Evidence, Phase, Review
from services.partner.models.runs import *  # noqa: F403  (pruns's tables)
from services.partner.models.spec import SpecVersion

idempotency_keys = idempotency_table(Base.metadata)
outbox = outbox_table(Base.metadata)
audit_records = audit_table(Base.metadata)

__all__ = [
    "Activity",
    "Base",
    "Criterion",
    "Evidence",
    "Partner",
    "Phase",
    "Project",
    "Review",
    "SpecVersion",
    "idempotency_keys",
    "outbox",
]
