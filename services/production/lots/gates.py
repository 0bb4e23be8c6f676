"""The one vocabulary of lot gates in production, and how a lot moves between them."""

from __future__ import annotations

from typing import Literal, get_args

LotGate = Literal[
    "created", "in_production", "qa_pending", "approved", "rejected", "packed", "shipped"
]
LOT_GATES: tuple[str, ...] = get_args(LotGate)

MOVES: dict[str, frozenset[str]] = {
    "created": frozenset({"in_production"}),
    "in_production": frozenset({"qa_pending"}),
    "qa_pending": frozenset({"approved", "rejected"}),
    "approved": frozenset({"packed"}),
    "rejected": frozenset({"in_production"}),  # rework
    "packed": frozenset({"shipped"}),
    "shipped": frozenset(),
}
APPROVAL_GATES = frozenset({"approved", "rejected"})
# A lot goes into production only once its order has its stock reserved (not while the
# order is pending, unallocated, or cancelled).
ORDER_NOT_READY_FOR_PRODUCTION = frozenset({"pending", "cancelled"})
