from __future__ import annotations

from libs.common.errors import Conflict, NotFound, Unprocessable


class LotNotFound(NotFound):
    code, title = "lot_not_found", "Lot not found"


class InvalidGateMove(Conflict):
    code, title = "invalid_transition", "Invalid gate move"


class LotNumberTaken(Conflict):
    code, title = "lot_number_taken", "Lot number taken"


class LotQuantityExceedsOrder(Unprocessable):
    code, title = "lot_quantity_exceeds_order", "Lots exceed the order's quantity"


class OrderNotInProduction(Conflict):
    code, title = "order_not_in_production", "The order is not in production"


class OrderClosedForLots(Conflict):
    code, title = "order_closed", "Order closed"


class InspectionRequired(Conflict):
    code, title = "inspection_required", "A passed inspection is required"


class OverrideNotApplicable(Unprocessable):
    code, title = "override_not_applicable", "Override not applicable"
