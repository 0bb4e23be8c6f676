"""The base of production's schemas and the shapes quantities and money take."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from libs.common.money import Currency, Money, MoneyAmount, Quantity

__all__ = [
    "Body",
    "Currency",
    "Money",
    "MoneyAmount",
    "NonNegQty",
    "PositiveQty",
    "Quantity",
    "Schema",
    "SignedQty",
]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Quantities travel as decimal strings ("12.500"); numbers are accepted on input.
PositiveQty = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]
NonNegQty = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3)]
SignedQty = Annotated[Decimal, Field(max_digits=15, decimal_places=3)]
