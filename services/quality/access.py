"""Who reads which rows: the one place the scoping rule of ARCHITECTURE.md section 2 lives
for quality's repositories.

PROVIDER: rows of its tenant, within the plants the permission is held for (tenant-wide
grants see every plant). CLIENT: rows made for its tenant (`customer_tenant_id`) by its
parent (`tenant_id` = the token's `ptid`): both halves, always.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, false, true

from libs.common.auth import Principal, Space
from libs.common.errors import MissingPermission, WrongSpace


def visible(model: Any, principal: Principal, perm: str) -> ColumnElement[bool]:
    """A WHERE clause for `model` (with tenant_id, customer_tenant_id, plant_id)."""
    if principal.space == Space.CLIENT:
        if principal.parent_tenant_id is None or not principal.has_permission(perm):
            return false()
        return and_(
            model.customer_tenant_id == principal.tenant_id,
            model.tenant_id == principal.parent_tenant_id,
        )
    if principal.space != Space.PROVIDER:
        return false()
    own = model.tenant_id == principal.tenant_id
    plants = principal.plant_scope(perm)
    if plants is None:
        return and_(own, true())
    if not plants:
        return false()
    return and_(own, model.plant_id.in_(plants))


def can_read(
    principal: Principal,
    perm: str,
    *,
    tenant_id: uuid.UUID,
    customer_tenant_id: uuid.UUID | None,
    plant_id: uuid.UUID | None,
) -> bool:
    """`visible` for a row already read (the live feed reads a tenant's rows once and hands
    each stream what its principal may see): the same rule, in Python."""
    if principal.space == Space.CLIENT:
        return (
            principal.parent_tenant_id is not None
            and principal.has_permission(perm)
            and customer_tenant_id == principal.tenant_id
            and tenant_id == principal.parent_tenant_id
        )
    if principal.space != Space.PROVIDER or tenant_id != principal.tenant_id:
        return False
    plants = principal.plant_scope(perm)
    return plants is None or plant_id in plants


def require_route(principal: Principal, perm: str) -> None:
    """Route-level check: the permission held tenant-wide or for at least one plant."""
    if not principal.has_any_permission(perm):
        raise MissingPermission(f"Missing permission {perm}")


def require_plant(principal: Principal, perm: str, plant_id: uuid.UUID | None) -> None:
    """A provider write on a plant-owned row: the permission for that row's plant."""
    if principal.space != Space.PROVIDER:
        raise WrongSpace("Only the provider records quality data")
    if not principal.has_permission(perm, plant_id):
        raise MissingPermission(f"Missing permission {perm} for this plant")
