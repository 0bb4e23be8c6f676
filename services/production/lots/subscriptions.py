"""Quality's verdicts production subscribes to; registered with sync at start-up."""

from __future__ import annotations

from libs.contracts import Subscription
from libs.contracts.events.quality import InspectionCompleted

QUALITY_PATH = "/internal/events/quality"

SUBSCRIPTIONS = [
    # a completed inspection approves or rejects its lot
    Subscription(
        "production",
        QUALITY_PATH,
        [InspectionCompleted],
        "quality's verdicts move lots to approved or rejected",
    ),
]
