"""Who may see a row: the one spelling of the tenant rule every repository uses.

A provider's own principals see rows whose owner (`tenant_id`) is their tenant. A client
tenant's principals (a brand: the token carries `ptid`) see a customer-readable row only
when both halves hold (ARCHITECTURE.md section 2): the row is made for their tenant
(`customer_tenant_id`) AND owned by their parent. The row-level policies written with
`libs.common.db.customer_read_sql` hold the same rule in Postgres.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false

from libs.common.auth import Principal, Space


def is_customer(principal: Principal) -> bool:
    """A principal of a client tenant (or in the CLIENT space): it reads what is made for it."""
    return principal.space == Space.CLIENT or principal.parent_tenant_id is not None


def visible(principal: Principal, owner: Any, customer: Any | None = None) -> ColumnElement[bool]:
    """The WHERE clause for rows `principal` may read. `owner` and `customer` are the
    row's tenant and customer tenant columns; without `customer` the rows are the
    owner's alone and a client reads none of them."""
    if is_customer(principal):
        if customer is None or principal.parent_tenant_id is None:
            return false()
        return and_(customer == principal.tenant_id, owner == principal.parent_tenant_id)
    return owner == principal.tenant_id  # type: ignore[no-any-return]


def owned(principal: Principal, owner: Any) -> ColumnElement[bool]:
    """The WHERE clause for rows `principal` may change: its own tenant's, never a customer's."""
    if is_customer(principal):
        return false()
    return owner == principal.tenant_id  # type: ignore[no-any-return]


def visible_bound(customer: bool, owner: Any, customer_column: Any) -> ColumnElement[bool]:
    """`visible` for a statement compiled once per shape (libs.common.reads): the tenants
    are the parameters `tenant` and `parent`, valued by `visibility_values`."""
    if customer:
        return and_(customer_column == bindparam("tenant"), owner == bindparam("parent"))
    return owner == bindparam("tenant")  # type: ignore[no-any-return]


def visibility_values(principal: Principal) -> dict[str, uuid.UUID] | None:
    """The parameters of `visible_bound(is_customer(principal), ...)`; None when the
    principal reads none of these rows (a client without a parent)."""
    if is_customer(principal):
        if principal.parent_tenant_id is None:
            return None
        return {"tenant": principal.tenant_id, "parent": principal.parent_tenant_id}
    return {"tenant": principal.tenant_id}
