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


__all__ = ["EndpointDisabled"]
