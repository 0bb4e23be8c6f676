"""Who may call production's routes, in one place.

Each route names its spaces and permission here; the route's real check is this
dependency, so what the spec says a route is open to is what the code enforces.
- Reads are open to the provider (PROVIDER) and its API clients (DEVELOPER: ERPs read what
  their scopes allow); orders and lots also to brands (CLIENT), which see what is made for
  them.
- Writes are the provider's; API clients may also create customer orders (`orders:write`).
- Plant scope: a permission may be granted for some plants only (`plant_perms`). A route
  admits a caller holding its permission for any plant; rows are then limited to
  `plant_scope(perm)` on lists and checked against the row's plant on reads and writes.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Depends

from libs.common.auth import Principal, Space
from libs.common.deps import require
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
from libs.common.identity import CallerToken as CallerToken
from libs.common.identity import IdentityDep

READ_SPACES = (Space.PROVIDER, Space.DEVELOPER)
CUSTOMER_READ_SPACES = (Space.PROVIDER, Space.CLIENT, Space.DEVELOPER)
WRITE_SPACES = (Space.PROVIDER,)
ORDER_WRITE_SPACES = (Space.PROVIDER, Space.DEVELOPER)


class PlantNotPermitted(Forbidden):
    code = "plant_not_permitted"
    title = "Not permitted at this plant"


def allow(*spaces: Space, perm: str | None) -> Any:
    """The kit's check: one of `spaces`, holding `perm` tenant-wide or for some plant
    (None: the service checks the permission itself, per row). The spec's "open to" text
    is generated from this same dependency."""
    return Depends(require(*spaces, perm=perm, any_plant=True))


def provider(perm: str | None) -> Any:
    """The provider's own users only."""
    return allow(*WRITE_SPACES, perm=perm)


def reader(perm: str) -> Any:
    """The provider's users and its API clients."""
    return allow(*READ_SPACES, perm=perm)


def customer_reader(perm: str) -> Any:
    """The provider's users, its API clients, and brands reading what is made for them."""
    return allow(*CUSTOMER_READ_SPACES, perm=perm)


def require_plant(principal: Principal, perm: str, plant_id: uuid.UUID) -> None:
    """`perm` must be held tenant-wide or for this plant."""
    if not principal.has_any_permission(perm):
        raise MissingPermission(f"Missing permission {perm}")
    if not principal.has_permission(perm, plant_id):
        raise PlantNotPermitted(
            f"{perm} is not granted for this plant", extra={"plant_id": str(plant_id)}
        )


def plant_scope(principal: Principal, perm: str) -> frozenset[uuid.UUID] | None:
    """None: every plant; else the plants `perm` is held for (lists filter to them)."""
    return principal.plant_scope(perm)


Identity = IdentityDep  # the kit's identity client, for the routes that ask it


def errors(*refusals: int | type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of a route: the auth refusals plus its typed errors (the kit's
    `errors`, grouped by status so each status lists every code a client can get)."""
    return kit_errors(
        MissingToken, InvalidToken, TokenExpired, WrongSpace, MissingPermission, *refusals
    )
