"""Small helpers the feature endpoints share: who may call, and the schema base."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field

from libs.common.auth import Principal, Space
from libs.common.deps import require
from libs.common.errors import AUTH_ERRORS, problem_responses


def provider(perm: str | None) -> Any:
    """Only the provider's own users, with `perm` (None: the service checks it)."""
    return Depends(require(Space.PROVIDER, perm=perm))


def provider_or_client(perm: str) -> Any:
    """The provider's users, or a brand (CLIENT) reading what is made for it."""
    return Depends(require(Space.PROVIDER, Space.CLIENT, perm=perm))


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {**AUTH_ERRORS, **problem_responses(*statuses)}


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Quantities and money travel as decimal strings ("12.500"); numbers are accepted on input.
PositiveQty = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]
NonNegQty = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3)]
SignedQty = Annotated[Decimal, Field(max_digits=15, decimal_places=3)]
MoneyAmount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]


def is_client(principal: Principal) -> bool:
    return principal.space == Space.CLIENT


def scoped_tenant(principal: Principal) -> tuple[str, uuid.UUID]:
    """Which column a principal's tenant is matched against on customer-readable rows."""
    return ("customer_tenant_id" if is_client(principal) else "tenant_id", principal.tenant_id)


def if_match_version(header: str | None) -> int | None:
    """The version named by a simple If-Match ("3" or W/"3"); None when absent or "*"."""
    if not header:
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    if tag == "*":
        return None
    try:
        return int(tag)
    except ValueError:
        return -1  # matches no version: the write is refused with 412
