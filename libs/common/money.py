"""Money and quantity types: one representation on every path (ARCHITECTURE.md section 5).

Money is a decimal string with a fixed scale of four places ("5.0000"), whatever the
input looked like ("5", 5.0, "5.00"), on create, read, lists and events alike; the
currency travels beside it as an ISO 4217 code. Quantities have three places ("12.500").
The database columns carry the same scales (Numeric(14, 4) and Numeric(18, 3)).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer

MONEY_SCALE = Decimal("0.0001")
QTY_SCALE = Decimal("0.001")


def money(value: Decimal | int | str) -> Decimal:
    """A money amount at the one scale."""
    return Decimal(value).quantize(MONEY_SCALE, rounding=ROUND_HALF_EVEN)


def quantity(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(QTY_SCALE, rounding=ROUND_HALF_EVEN)


_as_str = PlainSerializer(lambda v: str(v), return_type=str, when_used="json")

# Outputs: whatever the source held, serialized at the fixed scale.
Money = Annotated[Decimal, AfterValidator(money), _as_str]
Quantity = Annotated[Decimal, AfterValidator(quantity), _as_str]
# Inputs: bounded so the database never refuses them.
MoneyAmount = Annotated[
    Decimal, Field(ge=0, max_digits=14, decimal_places=4), AfterValidator(money), _as_str
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
