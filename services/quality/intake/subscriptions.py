"""What quality subscribes to; registered with sync at start-up (libs.contracts)."""

from __future__ import annotations

from libs.contracts import Subscription
from libs.contracts.events.production import LotGateReached, OrderAllocated

LOTS_PATH = "/internal/events/production"

SUBSCRIPTIONS = [
    # a lot reaching QA awaits inspection
    Subscription(
        "quality",
        LOTS_PATH,
        [LotGateReached, OrderAllocated],
        "lots reaching QA await inspection; allocations are the passports' materials",
    ),
]
