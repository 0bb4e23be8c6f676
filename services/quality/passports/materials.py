"""A passport's materials: what production allocated to the lot's order
(`production.order.allocated`, kept in `order_materials`), the lot's share of it.

Components stocked by mass carry their mass (UN/ECE Rec 20 KGM) and, when every component
is stocked by mass, their mass fraction (the fractions sum to 1, as UNTP asks)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.quality.models import Lot, OrderMaterials

# stock units that are masses, in kilograms
KILOGRAMS: dict[str, Decimal] = {
    "kg": Decimal(1),
    "g": Decimal("0.001"),
    "mg": Decimal("0.000001"),
    "t": Decimal(1000),
    "lb": Decimal("0.45359237"),
    "oz": Decimal("0.028349523125"),
}


@dataclass(frozen=True, slots=True)
class Material:
    name: str
    sku: str
    quantity: Decimal  # the lot's share, in `unit`
    unit: str
    mass_kg: Decimal | None
    mass_fraction: float | None


def for_lot(lot: Lot, allocated: OrderMaterials | None) -> list[Material]:
    if allocated is None or not allocated.components or allocated.quantity <= 0:
        return []
    share = Decimal(lot.quantity) / Decimal(allocated.quantity)
    rows: list[tuple[dict[str, Any], Decimal, Decimal | None]] = []
    for c in allocated.components:
        quantity = Decimal(str(c["quantity"])) * share
        factor = KILOGRAMS.get(str(c.get("unit", "")).strip().lower())
        rows.append((c, quantity, quantity * factor if factor is not None else None))
    masses = [m for _, _, m in rows]
    total = sum((m for m in masses if m is not None), Decimal(0))
    by_mass = all(m is not None for m in masses) and total > 0
    return [
        Material(
            name=str(c["name"]),
            sku=str(c["sku"]),
            quantity=quantity.quantize(Decimal("0.001")),
            unit=str(c.get("unit") or ""),
            mass_kg=mass.quantize(Decimal("0.001")) if mass is not None else None,
            mass_fraction=round(float(mass / total), 6) if by_mass and mass is not None else None,
        )
        for c, quantity, mass in rows
    ]
