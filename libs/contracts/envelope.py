"""The envelope every event travels in, and parsing a delivery into its typed model.

`{id, type, tenant_id, customer_tenant_id?, subject, occurred_at, data}`, where `data` is
the model registered for `type`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from libs.common.errors import Unprocessable
from libs.contracts.base import EventModel
from libs.contracts.registry import model_for

E = TypeVar("E", bound=EventModel)


class UnknownEventType(Unprocessable):
    code, title = "unknown_event_type", "Unknown event type"


class InvalidEvent(Unprocessable):
    code, title = "invalid_event", "Invalid event"


class EventEnvelope(BaseModel, Generic[E]):
    """One event as it travels: the fields every event has, and its typed `data`."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(description="Unique per event; receivers deduplicate by it")
    type: str = Field(max_length=200)
    tenant_id: uuid.UUID = Field(description="The tenant that owns the record")
    customer_tenant_id: uuid.UUID | None = Field(
        None, description="The client tenant the record is made for, if any"
    )
    subject: str = Field(max_length=500, description="The record, as `<collection>/<id>`")
    occurred_at: datetime
    data: E


class _RawEnvelope(BaseModel):
    id: uuid.UUID
    type: str = Field(max_length=200)
    tenant_id: uuid.UUID
    customer_tenant_id: uuid.UUID | None = None
    subject: str = Field(max_length=500)
    occurred_at: datetime
    data: dict[str, Any]


def _errors(exc: ValidationError, prefix: str = "") -> dict[str, Any]:
    return {
        "errors": [
            {
                "field": prefix + ".".join(str(p) for p in e["loc"]),
                "message": e["msg"],
            }
            for e in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
    }


def parse_data(event_type: str, data: Mapping[str, Any]) -> EventModel:
    """`data` of an event of `event_type` as its model; 422 when unknown or invalid."""
    model = model_for(event_type)
    if model is None:
        raise UnknownEventType(
            f"No event type {event_type!r} is declared", extra={"type": event_type}
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidEvent(
            f"The data of {event_type!r} does not match its schema", extra=_errors(exc, "data.")
        ) from None


def parse_event(raw: bytes | str | Mapping[str, Any]) -> EventEnvelope[EventModel]:
    """A delivery (a body or a decoded dict) as an envelope holding its typed model.

    Raises UnknownEventType (422 `unknown_event_type`) for a type no module declares and
    InvalidEvent (422 `invalid_event`) for a malformed envelope or data."""
    try:
        env = (
            _RawEnvelope.model_validate(raw)
            if isinstance(raw, Mapping)
            else _RawEnvelope.model_validate_json(raw)
        )
    except ValidationError as exc:
        raise InvalidEvent("The event is not a valid envelope", extra=_errors(exc)) from None
    data = parse_data(env.type, env.data)
    return EventEnvelope[EventModel](**{**env.__dict__, "data": data})


def envelope_model(model: type[E]) -> type[EventEnvelope[E]]:
    """The concrete envelope of one event type (its `type` fixed), e.g. for OpenAPI."""
    return EventEnvelope[model]  # type: ignore[valid-type]
