from __future__ import annotations

from pydantic import BaseModel

from libs.contracts.subscriptions import SubscriptionSet

__all__ = ["ConsumerSubscription", "RegistrationResult", "SubscriptionSet"]


class ConsumerSubscription(BaseModel):
    path: str
    url: str
    event_types: list[str]


class RegistrationResult(BaseModel):
    service: str
    subscriptions: list[ConsumerSubscription]
    # paths of this service that were subscribed before and are not any more
    removed: list[str]
