"""Events sync emits itself."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar

from libs.contracts.base import EventModel, OneOf


class EndpointDisabled(EventModel):
    event_type: ClassVar[str] = "sync.endpoint.disabled"
    description: ClassVar[str] = (
        "A webhook endpoint was disabled: it failed every delivery for days, or answered 410 "
        "(subject `endpoints/{endpoint_id}`)."
    )

    endpoint_id: uuid.UUID
    url: str
    reason: Annotated[str, OneOf(("failing", "gone"))]


class WebhookTest(EventModel):
    event_type: ClassVar[str] = "webhook.test"
    description: ClassVar[str] = (
        "A test message, sent to one endpoint when its owner asks (POST /endpoints/{id}/test)."
    )

    endpoint_id: uuid.UUID
    message: str = "Test event from Weft"


__all__ = ["EndpointDisabled", "WebhookTest"]
