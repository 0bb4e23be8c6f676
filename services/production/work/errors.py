from __future__ import annotations

from libs.common.errors import Conflict, NotFound, Unprocessable


class ProductionOrderNotFound(NotFound):
    code, title = "production_order_not_found", "Production order not found"


class StageNotFound(NotFound):
    code, title = "stage_not_found", "Stage not found"


class ProductionOrderExists(Conflict):
    code, title = "production_order_exists", "The order has a production order already"


class InvalidStageMove(Conflict):
    code, title = "invalid_transition", "Invalid stage move"


class OrderNotAllocated(Conflict):
    code, title = "order_not_allocated", "The order is not allocated"


class StageOutOfOrder(Conflict):
    code, title = "stage_out_of_order", "Earlier stages are not completed"


class StageNotActive(Conflict):
    code, title = "stage_not_active", "The stage is not active"


class AlreadyClockedIn(Conflict):
    code, title = "already_clocked_in", "Already clocked in"


class NotClockedIn(Conflict):
    code, title = "not_clocked_in", "Not clocked in"


class UnknownOperator(Unprocessable):
    code, title = "unknown_operator", "Unknown operator"


class InvalidClockTime(Unprocessable):
    code, title = "invalid_clock_time", "Invalid clock time"
