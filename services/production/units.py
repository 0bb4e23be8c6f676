"""BOM units against stock units: 50 cm of a foil stocked in m is 0.5 m; 20 g of glue
stocked in kg is 0.02 kg. Conversions come from `pint` with exact decimals; units that
cannot be converted (kg into m, or names pint does not know that differ) are refused.
A missing unit means "the unit the item is stocked in"."""

from __future__ import annotations

from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

import pint

from libs.common.errors import Unprocessable


class IncompatibleUnits(Unprocessable):
    code, title = "incompatible_units", "Incompatible units"


@cache
def _registry() -> Any:
    ureg: Any = pint.UnitRegistry(non_int_type=Decimal)
    # Counted things: pieces, whatever a plant calls them.
    ureg.define("piece = [count] = pcs = pc = each = ea")
    return ureg


def _norm(unit: str) -> str:
    return (
        unit.strip().lower()
        if unit.strip().lower() in ("pcs", "pc", "ea", "each")
        else unit.strip()
    )


@lru_cache(maxsize=1024)
def factor(from_unit: str, to_unit: str) -> Decimal | None:
    """How many `to_unit` one `from_unit` is; None when they do not convert."""
    if _norm(from_unit) == _norm(to_unit):
        return Decimal(1)
    ureg = _registry()
    try:
        value = ureg.Quantity(Decimal(1), _norm(from_unit)).to(_norm(to_unit)).magnitude
    except (pint.errors.PintError, ValueError, TypeError, AttributeError):
        return None
    return Decimal(value)


def convert(quantity: Decimal, from_unit: str | None, to_unit: str | None, *, sku: str) -> Decimal:
    """`quantity` of `from_unit` in `to_unit` (either None: no conversion)."""
    if not from_unit or not to_unit:
        return quantity
    f = factor(from_unit, to_unit)
    if f is None:
        raise IncompatibleUnits(
            f"{sku}: {from_unit!r} cannot be converted to {to_unit!r}",
            extra={"sku": sku, "unit": from_unit, "stock_unit": to_unit},
        )
    return quantity * f


def check(from_unit: str | None, to_unit: str | None, *, sku: str) -> None:
    convert(Decimal(1), from_unit, to_unit, sku=sku)
