from __future__ import annotations

from libs.common.errors import Conflict, NotFound


class ItemNotFound(NotFound):
    code, title = "item_not_found", "Inventory item not found"


class SkuTaken(Conflict):
    code, title = "sku_taken", "SKU taken"


class InsufficientStock(Conflict):
    code, title = "insufficient_stock", "Insufficient stock"
