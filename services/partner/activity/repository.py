from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from libs.common.auth import Principal
from libs.common.visibility import visible
from services.partner.models import Activity


def query(principal: Principal, project_id: uuid.UUID, type_prefix: str | None) -> Select[Any]:
    stmt = select(Activity).where(
        visible(principal, Activity.tenant_id, Activity.customer_tenant_id),
        Activity.project_id == project_id,
    )
    if type_prefix:
        stmt = stmt.where(Activity.type.startswith(type_prefix, autoescape=True))
    return stmt
