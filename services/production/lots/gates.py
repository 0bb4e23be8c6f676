"""How a lot moves between gates. The gates themselves are the one vocabulary every
service shares (`libs.contracts.events.production.LOT_GATES`); the Literal gives the API
its enum and must name the same gates, in the same order."""

from __future__ import annotations

from typing import Literal, get_args

from libs.contracts.events.production import LOT_GATES

LotGate = Literal[
    "created", "in_production", "qa_pending", "approved", "rejected", "packed", "shipped"
]
if get_args(LotGate) != LOT_GATES:  # pragma: no cover - a contract change must come here too
    raise RuntimeError("production's LotGate differs from libs.contracts LOT_GATES")

__all__ = ["APPROVAL_GATES", "LOT_GATES", "MOVES", "QA_GATE", "LotGate"]

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
QA_GATE = "qa_pending"  # each arrival here opens a new inspection round
# A lot goes into production only once its order has its stock reserved (not while the
# order is pending, unallocated, or cancelled).
ORDER_NOT_READY_FOR_PRODUCTION = frozenset({"pending", "cancelled"})
