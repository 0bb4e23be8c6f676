"""Who may call what, and the sides of a partner project.

- The owner: the provider tenant that runs the integration programme (Paco). Its PROVIDER
  users with `partners:write` (ADMIN) manage partners, projects, specs, plans and reviews;
  with `partners:read` (INTEGRATION_MANAGER in the DEVELOPER space, VIEWER, C_LEVEL) they
  observe without changing anything. An owner principal carries no `ptid`.
- A partner: a client tenant of the owner (the token's `ptid` is the owner). Its DEVELOPER
  users read what is made for their tenant by their parent (`partner:read`), upload spec
  variants and evidence (`partner:write`), and request readiness reviews
  (`partner:review`, PARTNER_LEAD).

Rows are read with `libs.common.visibility` (both halves of the client rule) and under the
row-level policies of the partner schema.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, ConfigDict

from libs.common.auth import Principal, Space
from libs.common.deps import CurrentPrincipal, declare_access
from libs.common.errors import (
    AppError,
    Forbidden,
    InvalidToken,
    MissingPermission,
    MissingToken,
    TokenExpired,
    WrongSpace,
)
from libs.common.errors import errors as kit_errors

OWNER_READ = "partners:read"
OWNER_WRITE = "partners:write"
PARTNER_READ = "partner:read"
PARTNER_WRITE = "partner:write"
PARTNER_REVIEW = "partner:review"


class Side(StrEnum):
    OWNER = "owner"
    PARTNER = "partner"


class OwnerOnly(Forbidden):
    code = "owner_only"
    title = "Only the API owner's users may do this"


class PartnerOnly(Forbidden):
    code = "partner_only"
    title = "Only the partner's users may do this"


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal and its side: `owner_tenant_id` owns every row either side sees."""

    principal: Principal
    side: Side

    @property
    def owner_tenant_id(self) -> uuid.UUID:
        if self.side == Side.PARTNER:
            assert self.principal.parent_tenant_id is not None
            return self.principal.parent_tenant_id
        return self.principal.tenant_id

    @property
    def partner_tenant_id(self) -> uuid.UUID | None:
        return self.principal.tenant_id if self.side == Side.PARTNER else None

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def is_owner(self) -> bool:
        return self.side == Side.OWNER


def _side(principal: Principal) -> Side:
    return Side.PARTNER if principal.parent_tenant_id is not None else Side.OWNER


def _check(principal: Principal, *, owner: str | None, partner: str | None) -> Caller:
    side = _side(principal)
    if side == Side.OWNER:
        if owner is None:
            raise PartnerOnly("Only the partner's own users may do this")
        # writes are the provider's users'; reads are open to its DEVELOPER users too
        # (INTEGRATION_MANAGER observes from the DEVELOPER space)
        if owner == OWNER_WRITE:
            principal.require_space(Space.PROVIDER)
        else:
            principal.require_space(Space.PROVIDER, Space.DEVELOPER)
        principal.require_permission(owner)
    else:
        if partner is None:
            raise OwnerOnly("Only the API owner's users may do this")
        principal.require_space(Space.DEVELOPER)
        principal.require_permission(partner)
    return Caller(principal, side)


def access(*, owner: str | None, partner: str | None) -> Any:
    """A dependency admitting the owner's users with `owner` and the partner's with
    `partner` (None closes that side)."""

    async def dependency(principal: CurrentPrincipal) -> Caller:
        return _check(principal, owner=owner, partner=partner)

    dependency.__name__ = f"access_{owner or 'none'}_{partner or 'none'}".replace(":", "_")
    spaces: set[Space] = set()
    if owner == OWNER_WRITE:
        spaces.add(Space.PROVIDER)
    elif owner:
        spaces |= {Space.PROVIDER, Space.DEVELOPER}
    if partner:
        spaces.add(Space.DEVELOPER)
    order = [s for s in (Space.PROVIDER, Space.DEVELOPER) if s in spaces]
    declare_access(dependency, order, owner or partner)
    return Depends(dependency)


def as_reader(principal: Principal) -> Caller:
    """The checks of `Reader`, for a route that finds its principal itself (a mock's)."""
    return _check(principal, owner=OWNER_READ, partner=PARTNER_READ)


# Reading a project's records: either side.
Reader = Annotated[Caller, access(owner=OWNER_READ, partner=PARTNER_READ)]
# Writing what either side may write (a spec version).
Writer = Annotated[Caller, access(owner=OWNER_WRITE, partner=PARTNER_WRITE)]
# The owner's decisions (partners, projects, plans, accepting, deciding reviews).
Owner = Annotated[Caller, access(owner=OWNER_WRITE, partner=None)]
OwnerReader = Annotated[Caller, access(owner=OWNER_READ, partner=None)]
# The partner's own steps (evidence, review requests).
PartnerWriter = Annotated[Caller, access(owner=None, partner=PARTNER_WRITE)]
PartnerLead = Annotated[Caller, access(owner=None, partner=PARTNER_REVIEW)]

_AUTH = (MissingToken, InvalidToken, TokenExpired, WrongSpace, MissingPermission)


def errors(*items: type[AppError] | int) -> dict[int | str, dict[str, Any]]:
    """The route's documented problems: the auth ones every route has, the side refusals,
    and `items`."""
    return kit_errors(*_AUTH, OwnerOnly, PartnerOnly, *items)


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
