"""Every table of the production schema (one file each); import from here."""

from services.production.models.base import Base, idempotency_keys, outbox
from services.production.models.inventory import InventoryItem, LedgerEntry
from services.production.models.lot import Lot, LotGateHistory, LotInspection
from services.production.models.mrp_run import MrpRun
from services.production.models.order import Order, OrderAllocation
from services.production.models.plant import Plant
from services.production.models.product import BomLine, ProcessStage, Product, ProductVersion
from services.production.models.production_order import (
    LabourClockWrite,
    LabourEntry,
    ProductionOrder,
    StageExecution,
)
from services.production.models.tenant import TenantCopy

__all__ = [
    "Base",
    "BomLine",
    "InventoryItem",
    "LabourClockWrite",
    "LabourEntry",
    "LedgerEntry",
    "Lot",
    "LotGateHistory",
    "LotInspection",
    "MrpRun",
    "Order",
    "OrderAllocation",
    "Plant",
    "ProcessStage",
    "Product",
    "ProductVersion",
    "ProductionOrder",
    "StageExecution",
    "TenantCopy",
    "idempotency_keys",
    "outbox",
]
