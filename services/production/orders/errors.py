from __future__ import annotations

from libs.common.errors import Conflict, NotFound, Unprocessable


class OrderNotFound(NotFound):
    code, title = "order_not_found", "Order not found"


class OrderNumberTaken(Conflict):
    code, title = "order_number_taken", "Order number taken"


class InvalidOrderTransition(Conflict):
    code, title = "invalid_transition", "Invalid transition"


class OrderClosed(Conflict):
    code, title = "order_closed", "Order closed"


class VersionNotReleased(Unprocessable):
    code, title = "version_not_released", "Product version not released"


class InsufficientStock(Conflict):
    code, title = "insufficient_stock", "Insufficient stock"
