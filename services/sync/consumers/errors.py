"""Errors of the consumers feature (services registering their subscriptions)."""

from __future__ import annotations

from libs.common.errors import Forbidden, Unprocessable


class InvalidSubscriptions(Unprocessable):
    code, title = "invalid_subscriptions", "Invalid subscriptions"


class UnknownConsumer(Unprocessable):
    code, title = "unknown_consumer", "Sync does not know where this service listens"


class ForeignSubscriptions(Forbidden):
    code, title = "foreign_subscriptions", "A service registers its own subscriptions only"
