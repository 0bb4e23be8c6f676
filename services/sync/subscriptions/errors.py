"""Errors of webhook subscriptions, each with its stable code."""

from __future__ import annotations

from libs.common.errors import Conflict, NotFound, Unprocessable


class EndpointNotFound(NotFound):
    code, title = "endpoint_not_found", "No such endpoint"


class MessageNotFound(NotFound):
    code, title = "message_not_found", "No such message for this endpoint"


class EndpointDisabled(Conflict):
    code, title = "endpoint_disabled", "The endpoint is disabled"


class UnsafeUrl(Unprocessable):
    code, title = "unsafe_url", "The URL is not allowed"


class UnknownEventTypes(Unprocessable):
    """A filter names an event type, or a `prefix.*` pattern, that matches no declared type."""

    code, title = "unknown_event_type", "Unknown event type"


class InvalidRange(Unprocessable):
    code, title = "invalid_range", "Invalid time range"
