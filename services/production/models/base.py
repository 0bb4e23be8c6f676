"""The declarative base of the production schema, and its outbox and idempotency tables."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric
from sqlalchemy.orm import DeclarativeBase

from libs.common.audit import audit_table
from libs.common.idempotency import idempotency_table
from libs.common.models import make_metadata
from libs.common.outbox import outbox_table

SCHEMA = "production"


class Base(DeclarativeBase):
    # One declarative base per service schema, with the kit's naming convention.
    metadata = make_metadata(SCHEMA)


outbox = outbox_table(Base.metadata)
idempotency_keys = idempotency_table(Base.metadata)
audit_records = audit_table(Base.metadata)

# Stock quantities: three decimals (sheets, kg, metres); money: four, shown as strings.
Quantity = Numeric(18, 3, asdecimal=True)
Money = Numeric(14, 4, asdecimal=True)
ZERO = Decimal("0")
QTY = Decimal("0.001")
