"""Typed contracts between services: one pydantic model per event type, the envelope they
travel in, emitting and parsing them, consumers' subscriptions, and the OpenAPI `webhooks`.

The only code services share besides libs.common. It imports libs.common and no service.

    from libs.contracts import emit_event, parse_event, Subscription
    from libs.contracts.events.production import LotGateReached
"""

from libs.contracts.base import EventModel
from libs.contracts.envelope import (
    EventEnvelope,
    InvalidEvent,
    UnknownEventType,
    envelope_model,
    parse_data,
    parse_event,
)
from libs.contracts.openapi import add_webhooks, webhooks_openapi
from libs.contracts.outbox import emit_event
from libs.contracts.registry import (
    event_models,
    event_types,
    known_types_matching,
    model_for,
    type_matches,
)
from libs.contracts.subscriptions import (
    Subscription,
    SubscriptionSet,
    UnknownEventFilter,
    check_event_filters,
    subscriptions_lifespan,
)

__all__ = [
    "EventEnvelope",
    "EventModel",
    "InvalidEvent",
    "Subscription",
    "SubscriptionSet",
    "UnknownEventFilter",
    "UnknownEventType",
    "add_webhooks",
    "check_event_filters",
    "emit_event",
    "envelope_model",
    "event_models",
    "event_types",
    "known_types_matching",
    "model_for",
    "parse_data",
    "parse_event",
    "subscriptions_lifespan",
    "type_matches",
    "webhooks_openapi",
]
